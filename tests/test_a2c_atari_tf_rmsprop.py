"""a2c_atari_tf_rmsprop.py: TensorFlow's RMSprop by hand, and that the script trains with it."""

import pytest
import torch

from tests.helpers import ATARI_ARGS, load_script, only_run_dir
from tests.fake_envs import ScriptedGames

TF = "a2c_atari_tf_rmsprop.py"


def test_tf_rmsprop_puts_eps_inside_the_root_and_starts_the_mean_square_at_one():
    # one weight w = 1 with a constant gradient 0.1 (loss 0.1 w); lr 0.01, alpha 0.9, eps 0.01.
    # TensorFlow's form, mean square s starting at 1:
    #   s1 = 0.9 * 1 + 0.1 * 0.01 = 0.901;  w1 = 1 - 0.01 * 0.1 / sqrt(0.901 + 0.01) = 0.9989523
    #   s2 = 0.9 * 0.901 + 0.001 = 0.8119; w2 = w1 - 0.001 / sqrt(0.8219) = 0.9978493
    # PyTorch's form, s starting at 0 and eps outside the root, takes steps over 20 times larger:
    #   s1 = 0.001; w1 = 1 - 0.001 / (sqrt(0.001) + 0.01) = 0.9759747
    module = load_script(TF)
    for optimizer_class, expected in ((module.RMSpropTF, [0.9989523, 0.9978493]), (torch.optim.RMSprop, [0.9759747])):
        weight = torch.nn.Parameter(torch.ones(1))
        optimizer = optimizer_class([weight], lr=0.01, alpha=0.9, eps=0.01)
        for value in expected:
            optimizer.zero_grad()
            (0.1 * weight).sum().backward()
            optimizer.step()
            assert weight.item() == pytest.approx(value, abs=1e-7)


def test_the_script_steps_with_tensorflows_rmsprop(in_tmp, monkeypatch):
    # TensorFlow's mean square starts at 1: after 3 updates s = 0.99^3 + 0.01 (0.99^2 g1^2 + 0.99 g2^2 + g3^2)
    # >= 0.970299, and each |g| <= 0.5 (the clipped global norm), so s <= 0.970299 + 0.0075. torch's
    # RMSprop starts at 0: its entries would be at most 0.0075.
    module = load_script(TF)
    monkeypatch.setattr(module, "make_envs", lambda args: ScriptedGames(args.num_envs))
    module.main(module.Args(**dict(ATARI_ARGS, save_model=True)))
    checkpoint = torch.load(only_run_dir(in_tmp) / "checkpoint.pt", weights_only=True)
    assert checkpoint["update"] == 3
    for state in checkpoint["optimizer"]["state"].values():
        assert "step" not in state  # torch.optim.RMSprop counts its steps; RMSpropTF does not
        assert (state["square_avg"] >= 0.99**3 - 1e-6).all() and (state["square_avg"] <= 0.99**3 + 0.0075).all()
