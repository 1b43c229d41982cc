"""What an upload's results say: per-file results CSVs, an errors CSV, and a summary."""
