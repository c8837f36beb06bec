"""The knowledge base: articles with their history, Chinese- and English-aware search, canned replies (话术) with
sandboxed placeholders, and suggestions for a ticket."""
