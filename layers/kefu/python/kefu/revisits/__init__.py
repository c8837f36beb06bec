"""Revisit campaigns (回访): which resolved tickets a campaign selects, when it may reach the customer, and the
revisit itself (an e-mail survey or a phone-revisit task). The Step Functions campaign calls `kefu.revisits.campaigns`
(select, send a batch, report); `kefu.revisits.runs` keeps each run's record.
"""
