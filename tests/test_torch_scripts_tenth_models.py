"""The tenth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff`` from the same weights, compared to 1e-10 in float64):
"Spatial Transformer Networks" (a localization network regressing ``theta`` from an
identity start, ``F.affine_grid`` and ``F.grid_sample``), "Language Translation with
nn.Transformer" (``PositionalEncoding``, ``TokenEmbedding``, ``Seq2SeqTransformer``,
``generate_square_subsequent_mask`` by ``masked_fill``, ``create_mask`` with padding
masks, ``xavier_uniform_`` of every matrix, ``greedy_decode``) and "NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention" (``EncoderRNN``,
``BahdanauAttention``, ``AttnDecoderRNN`` with teacher forcing, ``topk`` decoding).

Dropout is off (``p=0``, or the model in ``eval()`` for the spatial transformer, whose
``Dropout2d`` and ``F.dropout(training=self.training)`` draw masks): the two libraries
draw different masks.  Sentences are random token ids.  As the library's convention
writes them, the spatial transformer's ``weight.data.zero_()`` and ``bias.data.copy_()``
are written on the parameters under ``no_grad`` (``.data`` is an ndarray here).  The
identity transform it starts from puts every sample exactly on a pixel centre, where
bilinear sampling has a kink: which side's slope the gradient takes depends on the
last bit of the grid, and the two libraries' ``linspace`` round differently there
(PyTorch's vectorized kernel against NumPy's), so the script nudges that start by
1e-3 before training."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(104)


def test_spatial_transformer_networks_tutorial():
    images = DATA.normal(size=(3, 4, 1, 28, 28))
    labels = DATA.integers(0, 10, size=(3, 4))
    nudge = DATA.uniform(-1e-3, 1e-3, size=6)

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
                self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
                self.conv2_drop = nn.Dropout2d()
                self.fc1 = nn.Linear(320, 50)
                self.fc2 = nn.Linear(50, 10)

                # Spatial transformer localization-network
                self.localization = nn.Sequential(
                    nn.Conv2d(1, 8, kernel_size=7),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True),
                    nn.Conv2d(8, 10, kernel_size=5),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True)
                )

                # Regressor for the 3 * 2 affine matrix
                self.fc_loc = nn.Sequential(
                    nn.Linear(10 * 3 * 3, 32),
                    nn.ReLU(True),
                    nn.Linear(32, 3 * 2)
                )

                # Initialize the weights/bias with identity transformation
                # (.data is an ndarray here: the writes go to the parameters, under
                # no_grad, as the library's convention writes them)
                with torch.no_grad():
                    self.fc_loc[2].weight.zero_()
                    self.fc_loc[2].bias.copy_(torch.tensor([1, 0, 0, 0, 1, 0],
                                                           dtype=torch.float))

            # Spatial transformer network forward function
            def stn(self, x):
                xs = self.localization(x)
                xs = xs.view(-1, 10 * 3 * 3)
                theta = self.fc_loc(xs)
                theta = theta.view(-1, 2, 3)

                grid = F.affine_grid(theta, x.size())
                x = F.grid_sample(x, grid)

                return x

            def forward(self, x):
                # transform the input
                x = self.stn(x)

                # Perform the usual forward pass
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
                x = x.view(-1, 320)
                x = F.relu(self.fc1(x))
                x = F.dropout(x, training=self.training)
                x = self.fc2(x)
                return F.log_softmax(x, dim=1)

        model = Net()
        identity = model.fc_loc[2].bias.clone()
        zero_weight = model.fc_loc[2].weight.abs().sum()
        copy_weights(model)
        model.eval()                     # (dropout off: see the module docstring)
        with torch.no_grad():            # (off the identity's kink: see the docstring)
            model.fc_loc[2].bias.add_(torch.from_numpy(nudge))
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        losses = []
        for batch_idx in range(3):
            data = torch.from_numpy(images[batch_idx])
            target = torch.from_numpy(labels[batch_idx])
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            # Get a batch of training data
            data = torch.from_numpy(images[0])
            input_tensor = data.cpu()
            transformed_input_tensor = model.stn(data).cpu()
            test_loss = F.nll_loss(model(data), torch.from_numpy(labels[0]),
                                   reduction='sum').item()
            pred = model(data).max(1, keepdim=True)[1]
        return (identity, zero_weight, losses, input_tensor, transformed_input_tensor,
                test_loss, pred, model)
    side_by_side(script)
