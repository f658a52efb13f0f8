"""One provisioner per resource type: create, update and delete it through the AWS APIs
this server serves, and answer its Ref value and attributes."""
