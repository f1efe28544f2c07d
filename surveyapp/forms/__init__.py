"""WTForms forms: the survey form built from an instrument, and (later) login and admin forms.

All validation messages come from :mod:`surveyapp.messages`.
"""
