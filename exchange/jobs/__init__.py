"""Automation: job configuration, leases, the runner of one job, the scheduler daemon and folder watching."""
