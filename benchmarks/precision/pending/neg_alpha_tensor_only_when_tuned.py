# runtime: clean
"""An agent's entropy weight is a tensor only when it is tuned; the other branch logs the fixed Python float."""
import torch


class Agent:
    def __init__(self, weight, tune):
        self.tune = tune
        self.weight = weight
        if tune:
            self.log_weight = torch.zeros(1, requires_grad=True)

    def update(self):
        if self.tune:
            self.weight = self.log_weight.exp()
            shown = self.weight.clone()
        else:
            shown = torch.tensor(self.weight)
        return shown.item()


print(Agent(0.2, tune=False).update(), Agent(0.2, tune=True).update())
