"""Scheduled jobs: what they do (tasks), one run at a time (locks), every run recorded (runner),
and the APScheduler process that triggers them (scheduler). Nothing here starts by itself:
``flask surveyapp scheduler`` runs the scheduler in its own process."""
