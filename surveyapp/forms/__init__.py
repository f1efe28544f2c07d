"""WTForms forms shared by blueprints: the survey form built from an instrument, the API token form.

All validation messages come from :mod:`surveyapp.messages`.
"""
