"""Fine-tuning judges: configuration and supervised fine-tuning on the HF Trainer."""
