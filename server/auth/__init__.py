"""Identity, roles, consent and audit: who may see whose health data, enforced and logged."""
