"""Reader email alerts: double opt-in subscriptions, preferences, one-click unsubscribe, alerts."""
