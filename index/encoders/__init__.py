"""Text encoders behind one contract (`base.Encoder`): sentence-transformers/torch and ONNX."""
