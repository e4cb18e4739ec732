"""Lead intake: validation, normalisation, storage and the webhook."""
