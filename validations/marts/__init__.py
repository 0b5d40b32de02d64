"""After the build: Great Expectations reconciliations across marts, and their offline Data Docs."""
