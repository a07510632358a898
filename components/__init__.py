"""Pulumi components: thin shells that turn the model's plan into resources."""
