"""SLA and complaint escalation: each ticket's clock (kefu.tickets.sla) followed by one-time EventBridge Scheduler
schedules that wake the escalation task at its milestones, which runs the escalation ladder (kefu.sla) where a target
is not met, and closes a resolved ticket after its quiet period.

- `plan`: what a clock waits for next, a wake's input (kefu.escalation.plan);
- `wakes`: the wakes' schedules, created and deleted (kefu.escalation.wakes);
- `run_due_milestones`, `wake`: the task, run when a wake comes (kefu.escalation.service);
- `follow`: the table stream's watcher, scheduling and cancelling wakes as clocks change (kefu.escalation.watch).
"""
