"""The app as gunicorn serves it in the benchmark, plus a minimal "hello" endpoint to compare
against (same app, same middleware and security headers, no database)."""

from pressdesk import create_app
from pressdesk.security import public

app = create_app()


@app.route("/_bench/hello")
@public
def hello() -> str:
    return "hello"
