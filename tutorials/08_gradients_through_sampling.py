"""08 - Gradients through random samples.

Question: I sample from a normal distribution and take the `log_prob` of the sample -
why is the gradient with respect to the mean always zero?  And how do I get gradients
through sampling at all?

A reparameterized sample is z = mu + sigma * eps, with eps ~ N(0, 1) drawn once and
then held fixed.  Put it into log N(z; mu, sigma) and (z - mu) / sigma is just eps:
mu cancels, so the gradient with respect to mu is exactly zero - for every eps, not
only on average.  That zero is correct; log_prob of *data* (a constant) does depend
on mu.  To differentiate an expectation E[f(z)] there are two honest estimators:
the pathwise one (`rsample`, differentiate f through z) and the score-function one
(`sample` + `log_prob`, no derivative of f needed).  Both are checked here on a
problem with a known answer, and the pathwise one then trains a small VAE.

Run:  python tutorials/08_gradients_through_sampling.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn
from autodiff.distributions import Normal, kl_divergence
from tutorials._common import Tutorial, plt

# d/dtheta E[z^2] for z ~ N(theta, 1): E[z^2] = theta^2 + 1, so the answer is 2 theta.
THETA = 1.5
TRUE_GRAD = 2 * THETA


# %% [markdown]
# ## 1. `rsample()` is `mu + sigma * eps`
# The randomness is moved into a parameter-free `eps`; the sample is then an ordinary
# differentiable expression in `mu` and `sigma`.  With the same seed, the same `eps`.

# %%
def part_rsample(tut):
    tut.section("1. rsample() is mu + sigma * eps")
    mu = nn.Parameter(0.5, name="mu")
    sigma = nn.Parameter(2.0, name="sigma")
    z = Normal(mu, sigma).rsample(rng=0)
    eps = np.random.default_rng(0).standard_normal()
    print(f"  rsample(rng=0)        = {z.item():.12f}")
    print(f"  mu + sigma * eps      = {0.5 + 2.0 * eps:.12f}   (eps = {eps:.6f})")
    z.name = "z"
    z.backward(retain_graph=True)
    print(f"  dz/dmu = {mu.grad.item()}, dz/dsigma = {sigma.grad.item():.6f} (= eps)")
    tut.graph(z, "rsample_graph", show_values=True, show_grads=True)
    sample = Normal(mu, sigma).sample(rng=0)
    print(f"  sample(rng=0) has the same value {sample.item():.6f} but requires_grad = "
          f"{sample.requires_grad}: it is a constant, like data")
    return abs(z.item() - (0.5 + 2.0 * eps))


# %% [markdown]
# ## 2. Why `log_prob(rsample())` has zero gradient with respect to `mu`
# log N(z; mu, s) = -(z - mu)^2 / (2 s^2) - log s - log sqrt(2 pi).  With z = mu + s eps:
# (z - mu) / s = eps, so log N = -eps^2 / 2 - log s - log sqrt(2 pi).  `mu` is gone.
# Autodiff finds the same zero as the sum of two paths that cancel exactly:
# through z (dz/dmu = 1) the term gives -(z - mu)/s^2 = -eps/s, and directly it gives
# +(z - mu)/s^2 = +eps/s.  Only -log s is left: d/ds = -1/s.

# %%
def part_log_prob_of_own_sample(tut):
    tut.section("2. log_prob of its own rsample: mu cancels")

    def log_prob_of_rsample(mu, s):
        p = Normal(mu, s)
        return p.log_prob(p.rsample(rng=1))

    def log_prob_of_constant(mu, s, x):
        return Normal(mu, s).log_prob(x)

    mu, s = 0.5, 2.0
    g_mu, g_s = ad.grad(log_prob_of_rsample, argnums=(0, 1))(mu, s)
    x = Normal(mu, s).sample(rng=1).item()        # the very same number, as a constant
    c_mu, c_s = ad.grad(log_prob_of_constant, argnums=(0, 1))(mu, s, x)
    eps = (x - mu) / s
    tut.table(["", "d/dmu", "d/ds", "formula d/dmu", "formula d/ds"],
              [["log_prob(rsample)", float(g_mu), float(g_s), 0.0, -1 / s],
               ["log_prob(constant)", float(c_mu), float(c_s), eps / s, (eps ** 2 - 1) / s]],
              fmt="{:>19}")
    print(f"  same z = {x:.6f} in both rows; only whether z depends on mu differs.")
    # The gradient of log_prob at a sample() is the *score*: random, but zero on average.
    p = Normal(ad.tensor(mu, requires_grad=True), s)
    draws = p.sample((100_000,), rng=2)
    p.log_prob(draws).mean().backward()
    print(f"  score d/dmu log_prob(x) averaged over 100,000 sample()s: "
          f"{p.loc.grad.item():+.4f} (zero in expectation, standard error "
          f"{1 / s / np.sqrt(100_000):.4f})")
    return float(g_mu), float(g_s), float(c_mu)


# %% [markdown]
# ## 3. The trap: `rng.normal(mu_param, ...)` cuts the graph
# NumPy's random functions take plain numbers: they convert a Tensor with
# `np.asarray` and return an ndarray with no history.  The loss still computes and
# `backward()` still runs (other parameters get gradients), but `mu` gets none.
# The library cannot stop NumPy from doing this, but it notices the conversion and
# warns with `ad.TapeDropWarning`, naming the line.

# %%
def part_numpy_cuts_the_graph(tut):
    tut.section("3. rng.normal(mu_param, ...) cuts the graph")
    rng = np.random.default_rng(0)
    mu = nn.Parameter(0.5, name="mu")
    w = nn.Parameter(1.0, name="w")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z = rng.normal(mu, 1.0, size=4)       # <- mu silently becomes a plain float
    ((w * z - 2.0) ** 2).mean().backward()
    print(f"  type(z) = {type(z).__name__}; w.grad = {w.grad.item():.4f}; mu.grad = {mu.grad}")
    tape_warnings = [m for m in caught if issubclass(m.category, ad.TapeDropWarning)]
    first = tape_warnings[0]                  # one per conversion NumPy made; show the first
    more = f" (and {len(tape_warnings) - 1} more)" if len(tape_warnings) > 1 else ""
    print(f"  the library warned{more}: {first.category.__name__}:\n    "
          + str(first.message).replace("\n", "\n    "))
    print("  explain(mu):\n    " + ad.explain(mu).replace("\n", "\n    "))
    mu.zero_grad()
    z = Normal(mu, 1.0).rsample((4,), rng=0)  # the fix: the same draw, now a function of mu
    ((w * z - 2.0) ** 2).mean().backward()
    print(f"  with Normal(mu, 1.0).rsample(): mu.grad = {mu.grad.item():.4f}")
    return mu.grad is not None, [str(m.message) for m in tape_warnings]


# %% [markdown]
# ## 4. Two estimators of d/dtheta E[f(z)], z ~ N(theta, 1)
# With f(z) = z^2, E[f] = theta^2 + 1 and the exact gradient is 2 theta.
# - pathwise: mean of d f(theta + eps)/dtheta = mean of 2 z (uses f', needs `rsample`);
# - score function: mean of f(z) d/dtheta log N(z; theta, 1) = mean of z^2 (z - theta)
#   (needs only f's values, works for discrete z too, and is much noisier);
# - score function with a baseline: subtract a constant b from f (here b = theta^2 + 1);
#   E[score] = 0 keeps it unbiased and the variance drops.
# One `theta` per replicate (a vector) gives many independent estimates in one pass.

# %%
def f(z):
    return z ** 2


def estimates(kind, n, replicates, rng):
    theta = ad.tensor(np.full(replicates, THETA), requires_grad=True)
    p = Normal(theta, 1.0)
    if kind == "pathwise":
        surrogate = f(p.rsample((n,), rng=rng))
    else:
        z = p.sample((n,), rng=rng)                       # a constant: no path through z
        baseline = THETA ** 2 + 1 if kind == "score + baseline" else 0.0
        surrogate = (f(z) - baseline) * p.log_prob(z)     # f(z) is a constant weight
    surrogate.mean(axis=0).sum().backward()               # replicate r -> theta.grad[r]
    return theta.grad


KINDS = ("pathwise", "score function", "score + baseline")


def part_estimators(tut, big_n, replicates):
    tut.section("4. pathwise vs score-function estimators")
    rng = np.random.default_rng(tut.rng.integers(2**32))
    print(f"  one estimate each from n = {big_n:,} samples; exact answer 2 theta = {TRUE_GRAD}")
    agreement = {}
    for kind in KINDS:
        g = estimates(kind, big_n, 2, rng)[0]
        # the standard error from the per-sample spread, estimated on separate draws
        per_sample = estimates(kind, 1, 20_000, rng)
        se = per_sample.std(ddof=1) / np.sqrt(big_n)
        agreement[kind] = (float(g), float(se))
        print(f"  {kind:<17} {g:8.4f}  (standard error {se:.4f}; off by "
              f"{abs(g - TRUE_GRAD) / se:.1f} standard errors)")
    ns = 2 ** np.arange(0, 13, 2)
    spread = {kind: [estimates(kind, n, replicates, rng).std(ddof=1) for n in ns]
              for kind in KINDS}
    tut.table(["n"] + list(KINDS), [[n] + [spread[k][i] for k in KINDS]
                                    for i, n in enumerate(ns)], fmt="{:>18}")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for kind, marker in zip(KINDS, "osd"):
        ax.loglog(ns, spread[kind], marker + "-", label=kind)
    ax.loglog(ns, spread["pathwise"][0] / np.sqrt(ns), "k:", lw=1, label="1/sqrt(n)")
    ax.set(xlabel="samples per estimate n", ylabel="standard deviation of the estimate",
           title=f"d/dθ E[z²], z ~ N(θ, 1), θ = {THETA}: {replicates} estimates per n")
    ax.legend()
    tut.savefig(fig, "estimator_variance.png")
    ratio = spread["score function"][-1] / spread["pathwise"][-1]
    print(f"  at n = {ns[-1]}: the score-function estimate is {ratio:.1f}x noisier")
    return agreement, ratio


# %% [markdown]
# ## 5. A small VAE on sklearn's 8x8 digits
# The encoder gives q(z|x) = N(mu(x), sigma(x)); the decoder turns z into 64 pixel
# logits.  The loss (the negative ELBO) is the reconstruction error of a decoded
# `rsample()` plus KL(q(z|x) || N(0, 1)), which `kl_divergence` gives in closed form.
# Without `rsample` the reconstruction term would send no gradient to the encoder.

# %%
class VAE(nn.Module):
    def __init__(self, n_pixels=64, hidden=128, latent=4, rng=0):
        super().__init__()
        self.enc = nn.Linear(n_pixels, hidden, rng=rng)
        self.enc_mu = nn.Linear(hidden, latent, rng=rng + 1)
        self.enc_log_sigma = nn.Linear(hidden, latent, rng=rng + 2)
        self.dec = nn.MLP([latent, hidden, n_pixels], rng=rng + 3)
        self.latent = latent

    def encode(self, x):
        h = ad.relu(self.enc(x))
        return Normal(self.enc_mu(h), ad.exp(self.enc_log_sigma(h)))

    def loss(self, x, rng):
        q = self.encode(x)
        logits = self.dec(q.rsample(rng=rng))
        reconstruction = F.binary_cross_entropy_with_logits(logits, x) * x.shape[1]
        kl = kl_divergence(q, Normal(0.0, 1.0)).sum(axis=1).mean()
        return reconstruction + kl, reconstruction, kl


def part_vae(tut, epochs):
    from sklearn.datasets import load_digits
    tut.section("5. a VAE on sklearn's digits")
    images = load_digits().data / 16.0                    # 1797 x 64, pixels in [0, 1]
    order = tut.rng.permutation(len(images))
    train, test = images[order[:1500]], images[order[1500:]]
    model = VAE(rng=int(tut.rng.integers(1000)))
    opt = ad.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(1)
    history = []
    bar = tut.progress(range(epochs), desc="training the VAE")
    for epoch in bar:
        totals = np.zeros(3)
        for xb, _ in ad.data.batches(train, np.zeros(len(train)), 100, seed=rng):
            loss, rec, kl = model.loss(ad.tensor(xb), rng)
            opt.zero_grad()
            loss.backward()
            opt.step()
            totals += [loss.item() * len(xb), rec.item() * len(xb), kl.item() * len(xb)]
        history.append(totals / len(train))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{history[-1][0]:.2f}")
    history = np.array(history)
    with ad.no_grad():
        test_loss = model.loss(ad.tensor(test), rng)[0].item()
        recon = ad.sigmoid(model.dec(model.encode(ad.tensor(test[:10])).mean)).data
        samples = ad.sigmoid(model.dec(Normal(np.zeros((10, model.latent)), 1.0)
                                       .sample(rng=3))).data
    print(f"  negative ELBO per image: epoch 1 {history[0, 0]:.2f} -> epoch {epochs} "
          f"{history[-1, 0]:.2f} (reconstruction {history[-1, 1]:.2f} + KL "
          f"{history[-1, 2]:.2f}); held-out images {test_loss:.2f}")
    fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
    rows = [("test digit", test[:10]), ("reconstruction", recon),
            ("sample from N(0, 1)", samples)]
    for r, (label, pictures) in enumerate(rows):
        for c in range(10):
            axes[r, c].imshow(pictures[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"VAE with a {model.latent}-d latent after {epochs} epochs "
                 "(pixel intensity: white 0, black 1)", fontsize=10)
    tut.savefig(fig, "vae_digits.png")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k, label in enumerate(["negative ELBO", "reconstruction", "KL"]):
        ax.plot(np.arange(1, epochs + 1), history[:, k], label=label)
    ax.set(xlabel="epoch", ylabel="per image (nats)", title="VAE training loss")
    ax.legend()
    tut.savefig(fig, "vae_loss.png")
    return history[:, 0], test_loss


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "I sample from a normal and take log_prob of the sample - "
                   "why is the gradient w.r.t. the mean zero? How do I get gradients "
                   "through sampling?")
    big_n, replicates, epochs = (20_000, 100, 8) if tut.quick else (400_000, 400, 60)
    rsample_err = part_rsample(tut)
    grad_mu, grad_s, grad_mu_constant = part_log_prob_of_own_sample(tut)
    fixed_has_grad, tape_warnings = part_numpy_cuts_the_graph(tut)
    agreement, noise_ratio = part_estimators(tut, big_n, replicates)
    vae_loss, vae_test_loss = part_vae(tut, epochs)
    return tut.finish(
        summary=f"d/dmu log_prob(rsample) = {grad_mu} exactly; d/dtheta E[z^2] = "
                f"{TRUE_GRAD}: pathwise {agreement['pathwise'][0]:.3f}, score function "
                f"{agreement['score function'][0]:.3f}; VAE loss {vae_loss[0]:.1f} -> "
                f"{vae_loss[-1]:.1f}",
        rsample_error=rsample_err, grad_mu=grad_mu, grad_sigma=grad_s,
        grad_mu_constant=grad_mu_constant, fixed_has_grad=fixed_has_grad,
        tape_warnings=tape_warnings, true_grad=TRUE_GRAD, agreement=agreement,
        noise_ratio=noise_ratio, vae_loss=vae_loss.tolist(), vae_test_loss=vae_test_loss)


if __name__ == "__main__":
    main()
