"""`lambdalite up`: SAM and CloudFormation templates, expanded by AWS's own translator and
provisioned through the APIs this server already serves."""
