"""Sample events of the AWS services that invoke functions (`lambdalite generate-event`)."""
