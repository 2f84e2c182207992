# runtime: cuda clean
"""Vacuous: an NTL202 positive relabelled cuda clean: skipped without CUDA, but the linter is not silent."""
import numpy as np
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

steps = 50
betas = torch.linspace(1e-4, 0.02, steps, device=device)
alphas = 1.0 - betas
alpha_bar = torch.cumprod(alphas, dim=0)
curve = alpha_bar.numpy()
print("signal kept at the last step", round(float(curve[-1]), 4), np.argmax(curve < 0.5))
