"""Scheduled exports: the rhythm (rhythm.py), claiming and running what is due (runs.py) and
the scheduler process that does it (cli.py: `flask schedules run`)."""
