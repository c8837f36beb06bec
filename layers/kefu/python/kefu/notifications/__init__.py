"""Customer notices: an agent's answer, the ticket waiting on the customer, and its resolution, told by each
customer's contact preference (e-mail, SMS, the app's push), rate-limited per ticket and held back in quiet hours."""
