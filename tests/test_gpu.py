"""--cuda on a machine with a GPU: each script runs a few updates with its networks and its rollout
tensors on the GPU, and logs no NaN. Marked `gpu` and skipped where CUDA is absent (`pytest -m gpu`
runs only these)."""

import math

import pytest
import torch

from tests.helpers import load_script, only_run_dir, read_scalars

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

# script: (its network classes, the function that receives the rollout's tensors, extra arguments)
CASES = {
    "reinforce_cartpole.py": (["Policy"], "whole_episode_returns", dict(total_timesteps=2_000)),
    "reinforce_rtg_cartpole.py": (["Policy"], "rewards_to_go", dict(total_timesteps=2_000)),
    "a2c_cartpole.py": (["Actor", "Critic"], "n_step_returns", dict(total_timesteps=400)),
    "a2c_shared_gae.py": (["ActorCritic"], "gae_advantages", dict(total_timesteps=400)),
    "a2c_mujoco.py": (["ActorCritic"], "gae_advantages", dict(env_id="Pendulum-v1", total_timesteps=400)),
    "a2c_atari.py": (["ActorCritic"], "gae_advantages", dict(env_id="ALE/Breakout-v5", total_timesteps=400)),
    "a2c_atari_overlap.py": (["ActorCritic"], "gae_advantages", dict(env_id="ALE/Breakout-v5", total_timesteps=400)),
}


@pytest.mark.parametrize("script", list(CASES))
def test_cuda_puts_networks_and_rollouts_on_the_gpu(script, in_tmp, monkeypatch):
    module = load_script(script)
    networks, rollout_tensors = [], []
    class_names, function_name, extra = CASES[script]
    for class_name in class_names:
        original = getattr(module, class_name)

        class Recorded(original):
            def forward(self, *args, **kwargs):
                networks.append(self)
                return super().forward(*args, **kwargs)

        monkeypatch.setattr(module, class_name, Recorded)
    function = getattr(module, function_name)

    def recorded(*args):
        rollout_tensors.extend(a for a in args if isinstance(a, torch.Tensor))
        return function(*args)

    monkeypatch.setattr(module, function_name, recorded)
    module.main(module.Args(cuda=True, num_envs=2, eval_episodes=1, **extra))

    assert networks and rollout_tensors
    for network in networks:
        assert all(param.device.type == "cuda" for param in network.parameters())
        assert all(buffer.device.type == "cuda" for buffer in network.buffers())  # a2c_mujoco.py's moments
    assert all(tensor.device.type == "cuda" for tensor in rollout_tensors)
    scalars = read_scalars(only_run_dir(in_tmp))
    assert "losses/policy_loss" in scalars and "eval/episodic_return" in scalars
    for tag, values in scalars.items():
        assert all(math.isfinite(value) for _, value in values), tag
