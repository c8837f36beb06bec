"""SLA and complaint escalation: each ticket's clock (kefu.tickets.sla) followed by a Step Functions execution that
wakes at its milestones and runs the escalation ladder (kefu.sla) where a target is not met.

- `plan`: the state machine's state document, the same in and out of every step (kefu.escalation.plan);
- `run_due_milestones`: the state machine's task, run when it wakes (kefu.escalation.service);
- `follow`: the table stream's watcher, starting and stopping executions as clocks change (kefu.escalation.watch).
"""
