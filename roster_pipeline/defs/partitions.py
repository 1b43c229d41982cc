"""One dynamic partition per tenant (`district-<id>` or `school-<id>`), added by the drop sensor."""

from dagster import DynamicPartitionsDefinition

tenants = DynamicPartitionsDefinition(name="tenants")
