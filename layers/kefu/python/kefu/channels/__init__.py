"""Answers back on every channel: outbound events on kefu's EventBridge bus, one SQS target per contact channel."""
