"""Regenerate the demo's fieldwork file and its mapping (surveyapp/data/demo_fieldwork.csv and
surveyapp/demo/fieldwork_mapping.yaml): a stratified two-stage sample of the demo population, see
:mod:`surveyapp.demo.fieldwork`. Deterministic: running it again writes the same files."""

from surveyapp.demo.fieldwork import main

if __name__ == "__main__":
    main()
