"""The models: embedders (torch, ONNX, static) and LLM clients, each behind a factory."""
