"""kefu (客服): the customer-service domain. Knows nothing about Lambda events."""
