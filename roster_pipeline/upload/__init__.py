"""Reading an upload: from S3, a folder or a zip, to string DataFrames that remember their line numbers."""
