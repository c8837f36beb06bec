"""Text messages to customers (SNS Publish to a phone number): progress notices and revisit survey links."""
