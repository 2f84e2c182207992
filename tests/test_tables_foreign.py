"""Other libraries that read tensors with np.asarray (api.FOREIGN_ARRAY_READERS, FOREIGN_READER_METHODS),
row by row, checked twice: the linter reports NTL201 for a tensor that requires grad at each data
position, and the installed library (matplotlib, scikit-learn, h5py: test dependencies) really raises
torch's "Can't call numpy() on Tensor that requires grad" there. The calls are written out, not
generated from the table, so that a lost row fails the first test."""
from __future__ import annotations

import io
import textwrap
from typing import List

import pytest

from np_torch_lint.lint import analyze

PRELUDE = """\
import h5py
import matplotlib.pyplot as plt
import numpy as np
import sklearn.metrics
import torch
w = torch.randn(6, requires_grad=True)
t = w * 2
y = torch.tensor([0, 1, 0, 1, 1, 0])
"""

#: (call, the tensor argument's position in it, for display)
CALLS: List[str] = [
    "plt.plot(t)", "plt.plot(y, t)", "plt.scatter(t, y)", "plt.scatter(y, t)", "plt.imshow(t.reshape(2, 3))",
    "plt.hist(t)", "plt.bar(t, y)", "plt.bar(y, t)", "plt.barh(t, y)", "plt.barh(y, t)",
    "plt.matshow(t.reshape(2, 3))", "plt.errorbar(t, y)", "plt.errorbar(y, t)", "plt.fill_between(t, y, y)",
    "plt.fill_between(y, t, y)", "plt.fill_between(y, y, t)", "plt.stem(t, y)", "plt.stem(y, t)",
    "plt.step(t, y)", "plt.step(y, t)", "plt.semilogy(t, y)", "plt.semilogy(y, t)", "plt.semilogx(t, y)",
    "plt.semilogx(y, t)", "plt.loglog(t, y)", "plt.loglog(y, t)", "plt.boxplot(t)",
    "plt.pcolormesh(t.reshape(2, 3))", "plt.contour(t.reshape(2, 3))", "plt.contourf(t.reshape(2, 3))",
    "plt.hist2d(t, y)", "plt.hist2d(y, t)",
    "sklearn.metrics.accuracy_score(y, t)", "sklearn.metrics.f1_score(t, y)", "sklearn.metrics.precision_score(y, t)",
    "sklearn.metrics.recall_score(t, y)", "sklearn.metrics.confusion_matrix(y, t)",
    "sklearn.metrics.roc_auc_score(y, t)", "sklearn.metrics.mean_squared_error(y, t)",
    "sklearn.metrics.mean_absolute_error(t, y)", "sklearn.metrics.r2_score(y, t)",
    "sklearn.metrics.balanced_accuracy_score(t, y)", "sklearn.metrics.average_precision_score(y, t)",
    "sklearn.metrics.roc_curve(y, t)", "sklearn.metrics.precision_recall_curve(y, t)",
    "sklearn.metrics.classification_report(t, y)", "sklearn.metrics.matthews_corrcoef(y, t)",
    "sklearn.metrics.cohen_kappa_score(t, y)", "sklearn.metrics.log_loss(y, t)",
    "sklearn.metrics.top_k_accuracy_score(y, t)",
    "h5py.File(io.BytesIO(), 'w').create_dataset('w', data=t)",
]


def _codes(source: str) -> List[str]:
    return [f"{r.line}:{r.code}" for r in analyze(source)]


@pytest.mark.parametrize("call", CALLS)
def test_linter_reports_a_grad_tensor_read_by_another_library(call):
    line = PRELUDE.count("\n") + 1
    assert _codes(PRELUDE + f"_ = {call}\n") == [f"{line}:NTL201"]


@pytest.mark.parametrize("call", ["plt.plot(t.detach())", "plt.plot(y)", "sklearn.metrics.accuracy_score(y, y)",
                                  "h5py.File(io.BytesIO(), 'w').create_dataset('w', data=t.detach().numpy())",
                                  "plt.title(t)", "sklearn.metrics.make_scorer(t)"])
def test_look_alikes_stay_silent(call):
    assert _codes(PRELUDE + f"_ = {call}\n") == []


def test_a_list_of_grad_losses_plotted_is_reported():
    source = PRELUDE + textwrap.dedent("""\
        losses = []
        for _ in range(3):
            losses.append((w * w).sum())
        plt.plot(losses)
    """)
    assert _codes(source)[-1].endswith(":NTL201")


@pytest.mark.parametrize("call", CALLS)
def test_installed_library_raises_for_a_grad_tensor(call):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    pytest.importorskip("h5py")
    import matplotlib
    matplotlib.use("Agg")
    namespace: dict = {"io": io}
    exec(PRELUDE, namespace)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        eval(call, namespace)


def test_items_of_old_style_zero_d_losses_are_no_tensors():
    # `loss.data[0]` was a Python number before torch 0.4 and raises IndexError since: never a tensor plotted
    source = PRELUDE + textwrap.dedent("""\
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        history = []
        for _ in range(3):
            loss = torch.nn.functional.mse_loss(t.to(device), t.to(device) * 0)
            history.append(loss.data[0])
        plt.plot(history)
    """)
    assert _codes(source) == []
