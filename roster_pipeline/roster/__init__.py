"""The roster database: the system of record an upload is matched against and committed into."""
