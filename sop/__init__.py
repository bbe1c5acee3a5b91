"""Standard operating procedures as data: the schema, the catalogue of published versions, CEL expressions
and the rendered SOP document. The YAML files in the folders beside this module are the SOPs themselves."""
