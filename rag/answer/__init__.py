"""Answers from passages: extractive, generative, the citation check and the gate."""
