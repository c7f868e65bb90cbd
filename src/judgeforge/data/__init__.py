"""Samples in: loading, validation, preparation and augmentation."""
