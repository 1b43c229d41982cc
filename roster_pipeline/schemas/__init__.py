"""The file formats: one Pandera schema and header table per upload file, and the vocabularies they use."""
