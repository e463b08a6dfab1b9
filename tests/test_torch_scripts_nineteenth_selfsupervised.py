"""The nineteenth round's self-supervised scripts and a hand-written optimizer (see
test_torch_scripts_nineteenth.py for how they run): MoCo (a momentum key encoder, a
queue of negatives kept by ``register_buffer`` and refilled by slice assignment under
``no_grad``, a queue pointer buffer, logits by ``einsum`` and ``torch.cat``, labels of
zeros), DINO (a teacher sharpened by a low temperature and centred by a buffer moved by
an exponential moving average, the student's ``log_softmax`` against the teacher's
``softmax`` over crossed views), SimSiam (a predictor, stop-gradient by ``detach``,
negative cosine similarity by ``F.cosine_similarity``) and Lion written as a
``torch.optim.Optimizer`` subclass (``param_groups``, ``self.state[p]``, ``@torch.no_grad()``
on ``step``, ``torch.sign`` of an interpolated momentum, ``mul_``/``add_``/``lerp_``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1923)


def test_moco_with_a_momentum_encoder_and_a_queue_of_negatives():
    views = DATA.normal(size=(3, 2, 4, 5))
    queue_start = DATA.normal(size=(3, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        import copy

        class MoCo(nn.Module):
            def __init__(self, dim=3, K=8, m=0.9, T=0.2):
                super().__init__()
                self.K, self.m, self.T = K, m, T
                self.encoder_q = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, dim))
                copy_weights(self.encoder_q)
                self.encoder_k = copy.deepcopy(self.encoder_q)
                for param_k in self.encoder_k.parameters():
                    param_k.requires_grad = False
                self.register_buffer("queue", F.normalize(torch.from_numpy(queue_start), dim=0))
                self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

            @torch.no_grad()
            def _momentum_update_key_encoder(self):
                for param_q, param_k in zip(self.encoder_q.parameters(),
                                            self.encoder_k.parameters()):
                    param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

            @torch.no_grad()
            def _dequeue_and_enqueue(self, keys):
                batch_size = keys.shape[0]
                ptr = int(self.queue_ptr)
                self.queue[:, ptr:ptr + batch_size] = keys.T
                self.queue_ptr[0] = (ptr + batch_size) % self.K

            def forward(self, im_q, im_k):
                q = F.normalize(self.encoder_q(im_q), dim=1)
                with torch.no_grad():
                    self._momentum_update_key_encoder()
                    k = F.normalize(self.encoder_k(im_k), dim=1)
                l_pos = torch.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
                l_neg = torch.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
                logits = torch.cat([l_pos, l_neg], dim=1) / self.T
                labels = torch.zeros(logits.shape[0], dtype=torch.long)
                self._dequeue_and_enqueue(k)
                return logits, labels

        model = MoCo()
        optimizer = torch.optim.SGD(model.encoder_q.parameters(), lr=0.05, momentum=0.9,
                                    weight_decay=1e-4)
        criterion = nn.CrossEntropyLoss()
        losses = []
        for im_q, im_k in torch.from_numpy(views):
            logits, labels = model(im_q, im_k)
            loss = criterion(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model.queue, model.queue_ptr, model.encoder_k
    side_by_side(script)


def test_dino_with_a_centred_and_sharpened_teacher():
    views = DATA.normal(size=(3, 2, 4, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        import copy

        class DINOLoss(nn.Module):
            def __init__(self, out_dim, teacher_temp=0.04, student_temp=0.1,
                         center_momentum=0.9):
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
                self.center = (self.center * self.center_momentum
                               + batch_center * (1 - self.center_momentum))

        student = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 6))
        copy_weights(student)
        teacher = copy.deepcopy(student)
        for p in teacher.parameters():
            p.requires_grad = False
        dino_loss = DINOLoss(6)
        optimizer = torch.optim.AdamW(student.parameters(), lr=1e-2, weight_decay=0.04)
        losses = []
        for crops in torch.from_numpy(views):
            student_output = [student(c) for c in crops]
            teacher_output = [teacher(c) for c in crops]
            loss = dino_loss(student_output, teacher_output)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 3.0)
            optimizer.step()
            with torch.no_grad():
                for param_q, param_k in zip(student.parameters(), teacher.parameters()):
                    # (param_k.data is a NumPy array here: its error names this form)
                    param_k.mul_(0.99).add_((1 - 0.99) * param_q.detach())
            losses.append(loss.item())
        return losses, dino_loss.center, teacher
    side_by_side(script)


def test_simsiam_with_stop_gradient():
    views = DATA.normal(size=(3, 2, 6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        encoder = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5))
        predictor = nn.Sequential(nn.Linear(5, 3), nn.BatchNorm1d(3), nn.ReLU(),
                                  nn.Linear(3, 5))
        copy_weights(encoder, predictor)
        criterion = nn.CosineSimilarity(dim=1)
        optimizer = torch.optim.SGD([{"params": encoder.parameters()},
                                     {"params": predictor.parameters(), "fix_lr": True}],
                                    lr=0.05, momentum=0.9)
        losses = []
        for x1, x2 in torch.from_numpy(views):
            z1, z2 = encoder(x1), encoder(x2)
            p1, p2 = predictor(z1), predictor(z2)
            loss = -(criterion(p1, z2.detach()).mean() + criterion(p2, z1.detach()).mean()) * 0.5
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, encoder, predictor
    side_by_side(script)


def test_lion_written_as_an_optimizer_subclass():
    xs, ys = DATA.normal(size=(12, 4)), DATA.normal(size=(12, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

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

        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        copy_weights(model)
        optimizer = Lion(model.parameters(), lr=1e-2, weight_decay=0.1)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses = []
        for _ in range(4):
            def closure():
                optimizer.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                return loss
            losses.append(optimizer.step(closure).item())
        # (the biases': a Linear weight is (in, out) here, its state transposed)
        exp_avgs = [optimizer.state[model[k].bias]["exp_avg"] for k in (0, 2)]
        return losses, exp_avgs, model
    side_by_side(script)
