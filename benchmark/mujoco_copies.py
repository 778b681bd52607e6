"""Copies of a2c_mujoco.py that each change one of its choices, for benchmark/run.py to compare with it.

    python benchmark/mujoco_copies.py /tmp/copies
    python benchmark/run.py --env-id HalfCheetah-v5 --solve-threshold 2000 --seeds 1 2 --baseline a2c_mujoco.py \
        --scripts a2c_mujoco.py /tmp/copies/a2c_mujoco_squash.py /tmp/copies/a2c_mujoco_shared.py

Each copy is the rung with a few lines replaced (a copy's runs carry its file name, as any copy's do);
a replaced line that is not found stops this script, so a copy never silently equals the rung. A copy
is today's rung with its change, value steps and all: figures recorded for a copy of an earlier rung
are of that copy (docs/results.md names the commit each was written at), not of what this writes today.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # copies.py, also when imported
from copies import write_copies  # noqa: E402

COPIES = {
    # tanh(u) mapped onto the bounds instead of u clipped (the learner keeps u either way, so the
    # log-probability's tanh correction would not change the gradient)
    "a2c_mujoco_squash.py": [
        ("    return low + (u.clamp(-1.0, 1.0) + 1.0) * (high - low) / 2",
         "    return low + (torch.tanh(u) + 1.0) * (high - low) / 2"),
    ],
    # one torso with a policy head and a value head, as in a2c_shared_gae.py: the torso is the policy's 64 wide
    # (--hidden-size), so the value loses its own 256-wide network too (--value-hidden-size is left unused),
    # and the copy takes one step a rollout (--value-steps 1): the value's steps would move the shared torso
    "a2c_mujoco_shared.py": [
        ("training saw), and a policy and a value that do not share a torso, the value's network the wider\n"
         "(256 units against 64, as they found better too). The optimizer is RMSprop, as in a2c_atari.py and\n"
         "Tianshou's A2C for MuJoCo, where a2c_shared_gae.py has Adam.",
         "training saw). This copy has one torso under both heads, as a2c_shared_gae.py has, where the rung\n"
         "keeps a policy network and a wider value network apart, and takes one step a rollout\n"
         "(`--value-steps 1`): the value's steps of its own would move the shared torso, and the policy with\n"
         "it. The optimizer is RMSprop, as in a2c_atari.py and Tianshou's A2C for MuJoCo, where\n"
         "a2c_shared_gae.py has Adam."),
        ("        self.actor = nn.Sequential(", "        self.torso = nn.Sequential("),
        ("            layer_init(nn.Linear(hidden_size, action_dim), std=0.01),"
         "  # a small last layer starts the mean near 0\n        )\n",
         "        )\n        self.policy_head = layer_init(nn.Linear(hidden_size, action_dim), std=0.01)\n"),
        ("        # a wider value network (Andrychowicz et al. 2021): the 5-step advantages lean on its estimates\n"
         "        value_size = args.value_hidden_size\n"
         "        self.critic = nn.Sequential(\n"
         "            layer_init(nn.Linear(obs_dim, value_size)),\n"
         "            nn.Tanh(),\n"
         "            layer_init(nn.Linear(value_size, value_size)),\n"
         "            nn.Tanh(),\n"
         "            layer_init(nn.Linear(value_size, 1), std=1.0),\n"
         "        )\n",
         "        self.value_head = layer_init(nn.Linear(hidden_size, 1), std=1.0)\n"),
        ("        return self.actor(normalized_obs), self.critic(normalized_obs).squeeze(-1)",
         "        hidden = self.torso(normalized_obs)\n"
         "        return self.policy_head(hidden), self.value_head(hidden).squeeze(-1)"),
        # the value's extra steps would move the shared torso, and the policy with it: one step, as the rung
        # took before its value steps (--value-steps 5 runs them through the torso)
        ("    value_steps: int = 5\n", "    value_steps: int = 1\n"),
        (" And the value is fitted closer: after the\none step on the loss above, four more gradient steps on the value "
         "loss alone, on the same rollout and\ntargets (`--value-steps 5` in all; Wang et al. 2025 found the value's "
         "fit to be what holds vanilla\npolicy gradient back), where a2c_shared_gae.py takes the one step.\n",
         "\n"),
        ("agent.critic(obs[:-1]).squeeze(-1)", "agent(obs[:-1])[1]"),
        ("        # lean on a closer fit; the policy's parameters get no gradient here (None), and the optimizer skips them\n",
         "        # lean on a closer fit; here they would move the shared torso and the policy with it (hence --value-steps 1)\n"),
    ],
    # nine value-only steps after the joint one instead of four: does the value's closer fit go on paying?
    "a2c_mujoco_value_steps10.py": [
        ("    value_steps: int = 5\n", "    value_steps: int = 10\n"),
        ("one step on the loss above, four more gradient steps", "one step on the loss above, nine more gradient steps"),
        ("(`--value-steps 5` in all;", "(`--value-steps 10` in all;"),
    ],
    # half the envs: twice the updates for the same env steps (the RL Zoo's A2C for HalfCheetah-v3 runs one env)
    "a2c_mujoco_envs8.py": [("    num_envs: int = 16\n", "    num_envs: int = 8\n")],
    # the shared rung's entropy bonus
    "a2c_mujoco_ent001.py": [("    ent_coef: float = 0.0\n", "    ent_coef: float = 0.01\n")],
    # a std of one half-range at the start (log 0) instead of e^-0.5 = 0.61: the wider start Andrychowicz et al.
    # (2021) found worse on MuJoCo
    "a2c_mujoco_std1.py": [("    init_log_std: float = -0.5\n", "    init_log_std: float = 0.0\n")],
    # Adam, as in a2c_shared_gae.py and as the rung had it before RMSprop won (docs/results.md)
    "a2c_mujoco_adam.py": [
        ("    # RMSprop as in Tianshou's A2C for MuJoCo: on 10 seeds of each task it did better than Adam, or could\n"
         "    # not be told from it (docs/results.md)\n"
         "    optimizer = torch.optim.RMSprop(agent.parameters(), lr=args.learning_rate, alpha=args.rmsprop_alpha,\n"
         "                                    eps=args.rmsprop_eps)",
         "    # Adam, as a2c_shared_gae.py has it (--rmsprop-alpha and --rmsprop-eps are left unused)\n"
         "    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate)"),
        ('    """RMSprop learning rate"""', '    """Adam learning rate"""'),
        ("The optimizer is RMSprop, as in a2c_atari.py and\nTianshou's A2C for MuJoCo, where a2c_shared_gae.py has Adam.",
         "The optimizer is Adam, as in\na2c_shared_gae.py."),
    ],
}


if __name__ == "__main__":
    write_copies("a2c_mujoco.py", COPIES, sys.argv[1:])
