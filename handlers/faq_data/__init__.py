"""Package data of the FAQ: the starting knowledge base, faq.yaml."""
