"""The nineteenth PyTorch script round's self-supervised and ranking loops as compiled
steps, compared with the same loop run eagerly (``compile_scripts8.py``; see
test_compile_probe_programs_eighteenth_scripts.py): DINO (a centre buffer moved in place
under ``no_grad``, clip_grad_norm_, an EMA teacher by ``mul_``/``add_``), SimSiam (a
param group with a key of its own, BatchNorm1d, stop-gradient) and ListNet with RankNet
weighting pairs by a mask of the labels; and, refused naming the line, the scripts'
own forms: DINO's centre buffer replaced by assignment, RankNet's pairs selected by
the mask (``x[mask]``: its size depends on the values) and Lion written as an
Optimizer subclass on NumPy gradients (``grad * (1 - beta1)`` is NumPy's product)."""

from __future__ import annotations

import copy

import numpy as np

import autodiff as ad
from compile_scripts8 import (UNFUSED, F, compiled_like_eager, line_of, nn, refused_naming,
                              torch, two_sizes)


class DINOLoss(nn.Module):
    def __init__(self, out_dim, teacher_temp=0.04, student_temp=0.1, center_momentum=0.9):
        super().__init__()
        self.teacher_temp, self.student_temp = teacher_temp, student_temp
        self.center_momentum = center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, student_output, teacher_output):
        student_out = [s / self.student_temp for s in student_output]
        teacher_out = [F.softmax((t - self.center) / self.teacher_temp, dim=-1).detach()
                       for t in teacher_output]
        total_loss, n_loss_terms = 0, 0
        for iq, q in enumerate(teacher_out):
            for v, s in enumerate(student_out):
                if v == iq:
                    continue
                loss = torch.sum(-q * F.log_softmax(s, dim=-1), dim=-1)
                total_loss += loss.mean()
                n_loss_terms += 1
        self.update_center(torch.cat(teacher_output))
        return total_loss / n_loss_terms

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = torch.sum(teacher_output, dim=0, keepdim=True)
        batch_center = batch_center / len(teacher_output)
        self.center.copy_(self.center * self.center_momentum
                          + batch_center * (1 - self.center_momentum))


class DINOLossByAssignment(DINOLoss):
    """The script's form: the centre buffer replaced by an assignment."""

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = torch.sum(teacher_output, dim=0, keepdim=True)
        batch_center = batch_center / len(teacher_output)
        self.center = (self.center * self.center_momentum
                       + batch_center * (1 - self.center_momentum))


def _dino_twin(loss_kind):
    def make():
        student = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 6))
        teacher = copy.deepcopy(student)
        for p in teacher.parameters():
            p.requires_grad = False
        dino_loss = loss_kind(6)
        optimizer = torch.optim.AdamW(student.parameters(), lr=1e-2, weight_decay=0.04)

        def step(crop1, crop2):
            crops = (crop1, crop2)
            loss = dino_loss([student(c) for c in crops], [teacher(c) for c in crops])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 3.0)
            optimizer.step()
            with torch.no_grad():
                for param_q, param_k in zip(student.parameters(), teacher.parameters()):
                    param_k.mul_(0.99).add_((1 - 0.99) * param_q.detach())
            return loss
        return step, {"student": student, "teacher": teacher, "dino_loss": dino_loss,
                      "optimizer": optimizer}
    return make


DINO_BATCHES = two_sizes(40, [(4, 5), (4, 5)], [(3, 5), (3, 5)])


def test_dino_with_a_centre_buffer_moved_in_place_and_an_ema_teacher():
    compiled_like_eager(_dino_twin(DINOLoss), DINO_BATCHES, traces=2)


def test_dino_replacing_its_centre_buffer_is_refused_naming_the_line():
    refused_naming(_dino_twin(DINOLossByAssignment), DINO_BATCHES[0],
                   rf"buffer 'center' of DINOLossByAssignment \(a Tensor\) was replaced by "
                   rf"an assignment at {line_of(DINOLossByAssignment, 'self.center = ')} ")


def test_simsiam_with_a_param_group_key_of_its_own():
    def make():
        encoder = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5))
        predictor = nn.Sequential(nn.Linear(5, 3), nn.BatchNorm1d(3), nn.ReLU(),
                                  nn.Linear(3, 5))
        criterion = nn.CosineSimilarity(dim=1)
        optimizer = torch.optim.SGD([{"params": encoder.parameters()},
                                     {"params": predictor.parameters(), "fix_lr": True}],
                                    lr=0.05, momentum=0.9)

        def step(x1, x2):
            z1, z2 = encoder(x1), encoder(x2)
            p1, p2 = predictor(z1), predictor(z2)
            loss = -(criterion(p1, z2.detach()).mean() + criterion(p2, z1.detach()).mean()) * 0.5
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"encoder": encoder, "predictor": predictor, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(41, [(6, 4), (6, 4)], [(4, 4), (4, 4)]), traces=2,
                        fuse_modes=UNFUSED)


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.mul_(1 - group["lr"] * group["weight_decay"])
                grad = p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                beta1, beta2 = group["betas"]
                update = exp_avg * beta1 + grad * (1 - beta1)
                p.add_(torch.sign(update), alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)
        return loss


def test_lion_as_an_optimizer_subclass_on_numpy_gradients_is_refused_naming_the_line():
    # (p.grad is a NumPy array: grad * (1 - beta1) is NumPy's product, made off the tape,
    # which a replay would reuse; eagerly the same step runs)
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        optimizer = Lion(model.parameters(), lr=1e-2, weight_decay=0.1)

        def step(x, y):
            def closure():
                optimizer.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                return loss
            return optimizer.step(closure)
        return step, {"model": model, "optimizer": optimizer}
    x, y = two_sizes(42, [(12, 4), (12, 2)], [(8, 4), (8, 2)])[0]
    refused_naming(make, (x, y), rf"given to 'add' at {line_of(Lion, 'update = exp_avg')} "
                                 rf"was made during the call outside the library")
    eager, _ = make()
    assert np.isfinite(eager(ad.tensor(x), ad.tensor(y)).item())


def listnet_loss(scores, labels):
    return -torch.sum(F.softmax(labels, dim=-1) * F.log_softmax(scores, dim=-1))


def ranknet_loss(scores, labels):
    score_diffs = scores.unsqueeze(1) - scores.unsqueeze(0)
    label_diffs = labels.unsqueeze(1) - labels.unsqueeze(0)
    targets = (torch.sign(label_diffs) + 1) / 2
    mask = torch.ones_like(score_diffs).triu(diagonal=1).bool() & (label_diffs != 0)
    return F.binary_cross_entropy_with_logits(score_diffs[mask], targets[mask])


def ranknet_loss_by_weights(scores, labels):
    """``ranknet_loss`` with the mask as weights: the same mean, of a fixed shape."""
    score_diffs = scores.unsqueeze(1) - scores.unsqueeze(0)
    label_diffs = labels.unsqueeze(1) - labels.unsqueeze(0)
    targets = (torch.sign(label_diffs) + 1) / 2
    mask = torch.ones_like(score_diffs).triu(diagonal=1).bool() & (label_diffs != 0)
    return F.binary_cross_entropy_with_logits(score_diffs, targets, weight=mask.double(),
                                              reduction="sum") / mask.sum()


def _ranking_twin(ranknet):
    def make():
        scorer = nn.Sequential(nn.Linear(4, 6), nn.ELU(), nn.Linear(6, 1))
        optimizer = torch.optim.SGD(scorer.parameters(), lr=0.05, momentum=0.9)

        def step(x, y):
            scores = scorer(x).squeeze(-1)
            loss = listnet_loss(scores, y) + ranknet(scores, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"scorer": scorer, "optimizer": optimizer}
    return make


RANKING_BATCHES = [(x, y.astype(np.float64)) for x, y in two_sizes(
    43, [(7, 4), ("int", 4, (7,))], [(5, 4), ("int", 4, (5,))])]


def test_ranknet_selecting_pairs_by_a_mask_of_the_labels_is_refused_naming_the_line():
    refused_naming(_ranking_twin(ranknet_loss), RANKING_BATCHES[0],
                   rf"'getitem' at {line_of(ranknet_loss, '[mask]')} selects with a boolean "
                   rf"mask of shape \(7, 7\)")


def test_listnet_and_ranknet_weighting_pairs_by_the_mask():
    compiled_like_eager(_ranking_twin(ranknet_loss_by_weights), RANKING_BATCHES, traces=2,
                        fuse_modes=UNFUSED)
