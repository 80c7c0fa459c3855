"""Network helpers shared by channels and publishers: deadlines, plain-words errors, HTTP
status mapping and URL masking."""
