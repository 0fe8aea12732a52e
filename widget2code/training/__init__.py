"""Training: the Lightning modules (SFT, GRPO), their entry point, and the pure GRPO maths they share."""
