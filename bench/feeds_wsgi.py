"""The pressdesk app plus a minimal public "hello" endpoint, for comparing against feeds."""

from pressdesk import create_app
from pressdesk.security import public


@public
def hello() -> str:
    return "hello"


app = create_app()
app.add_url_rule("/bench/hello", "bench_hello", hello)
