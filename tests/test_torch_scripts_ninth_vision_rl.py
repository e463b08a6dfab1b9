"""The ninth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff`` from the same weights, compared to 1e-10 in float64):
"Neural Networks" (LeNet, ``out.backward(torch.randn(1, 10))``, a hand-written SGD
step, then ``optim``), "A Gentle Introduction to torch.autograd" (``Q.backward(
gradient=external_grad)``, exclusion from the DAG, freezing and replacing ``model.fc``),
"Adversarial Example Generation" (FGSM), "Neural Transfer" (content and style losses
inserted into a copied ``nn.Sequential``, L-BFGS on the image, ``clamp_`` under
``no_grad``) and "Reinforcement Learning (DQN)" (a ``ReplayMemory`` of ``namedtuple``
transitions, ``optimize_model``, the soft update by ``state_dict`` dicts)."""

from __future__ import annotations

import math
import random
from collections import deque, namedtuple

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(94)


# --- Neural Networks: LeNet -------------------------------------------------------------

def test_lenet_with_backward_of_a_random_gradient_manual_sgd_and_optim():
    image = DATA.normal(size=(1, 1, 32, 32))
    out_grad = DATA.normal(size=(1, 10))
    target_values = DATA.normal(size=10)

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim

        class Net(nn.Module):

            def __init__(self):
                super(Net, self).__init__()
                # 1 input image channel, 6 output channels, 5x5 square convolution kernel
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                # an affine operation: y = Wx + b
                self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, input):
                c1 = F.relu(self.conv1(input))
                s2 = F.max_pool2d(c1, (2, 2))
                c3 = F.relu(self.conv2(s2))
                s4 = F.max_pool2d(c3, 2)
                s4 = torch.flatten(s4, 1)
                f5 = F.relu(self.fc1(s4))
                f6 = F.relu(self.fc2(f5))
                output = self.fc3(f6)
                return output

        net = Net()
        copy_weights(net)
        params = list(net.parameters())
        facts = [len(params), tuple(params[0].size())]     # conv1's .weight
        input = torch.from_numpy(image)
        out = net(input)
        net.zero_grad()
        out.backward(torch.from_numpy(out_grad))
        conv1_weight_grad = net.conv1.weight.grad.tolist()
        output = net(input)
        target = torch.from_numpy(target_values)
        target = target.view(1, -1)
        criterion = nn.MSELoss()
        loss = criterion(output, target)
        facts.append(loss.grad_fn is not None and len(loss.grad_fn.next_functions) > 0)
        net.zero_grad()
        facts.append(net.conv1.bias.grad is None)
        loss.backward()
        bias_grad = net.conv1.bias.grad.tolist()
        learning_rate = 0.01
        with torch.no_grad():           # (the tutorial's f.data.sub_(f.grad.data * lr):
            for f in net.parameters():  #  .data and .grad are ndarrays here)
                f.sub_(f.grad * learning_rate)
        optimizer = optim.SGD(net.parameters(), lr=0.01)
        losses = [loss.item()]
        for _ in range(3):
            optimizer.zero_grad()   # zero the gradient buffers
            output = net(input)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()    # Does the update
            losses.append(loss.item())
        return facts, out, conv1_weight_grad, bias_grad, losses, net
    side_by_side(script)


# --- A Gentle Introduction to torch.autograd ------------------------------------------

def test_gentle_introduction_external_grad_dag_exclusion_and_finetuning_a_new_fc():
    images = DATA.normal(size=(2, 3, 8, 8))
    labels_values = DATA.normal(size=(2, 5))

    def script(torch, copy_weights):
        nn, optim = torch.nn, torch.optim
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3*a**3 - b**2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        checks = [(9*a**2 == a.grad).all().item(), (-2*b == b.grad).all().item()]
        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)
        a2 = x + y
        checks.append(a2.requires_grad)
        b2 = x + z
        checks.append(b2.requires_grad)

        class TinyResNet(nn.Module):        # (resnet18 without the download)
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(4)
                self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(4, 1000)

            def forward(self, x):
                x = torch.relu(self.bn1(self.conv1(x)))
                return self.fc(torch.flatten(self.avgpool(x), 1))

        model = TinyResNet()
        copy_weights(model)
        data = torch.from_numpy(images)
        labels = torch.from_numpy(labels_values)
        prediction = model(data)            # forward pass
        for param in model.parameters():
            param.requires_grad = False
        model.fc = nn.Linear(4, 5)
        copy_weights(model.fc)
        optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
        losses = []
        for _ in range(3):
            prediction = model(data)
            loss = (prediction - labels).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        trainable = [name for name, p in model.named_parameters() if p.requires_grad]
        return checks, a.grad, b.grad, losses, trainable, model
    side_by_side(script)


# --- Adversarial Example Generation (FGSM) ------------------------------------------------

def test_fgsm_attack_on_a_small_lenet_over_epsilons():
    images = DATA.uniform(size=(6, 1, 12, 12))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.conv2 = nn.Conv2d(4, 8, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.dropout2 = nn.Dropout(0.5)
                self.fc1 = nn.Linear(8 * 4 * 4, 16)
                self.fc2 = nn.Linear(16, 3)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.conv2(x)
                x = F.relu(x)
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.dropout2(x)
                x = self.fc2(x)
                output = F.log_softmax(x, dim=1)
                return output

        model = Net()
        copy_weights(model)
        model.eval()
        with torch.no_grad():       # labels the model itself predicts: all start right
            labels = model((torch.from_numpy(images) - 0.1307) / 0.3081).argmax(1)
        test_loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(images), labels), batch_size=1)

        def fgsm_attack(image, epsilon, data_grad):
            sign_data_grad = torch.sign(data_grad)  # (the tutorial's data_grad.sign())
            perturbed_image = image + epsilon*sign_data_grad
            perturbed_image = torch.clamp(perturbed_image, 0, 1)
            return perturbed_image

        def denorm(batch, mean=[0.1307], std=[0.3081]):
            if isinstance(mean, list):
                mean = torch.tensor(mean)
            if isinstance(std, list):
                std = torch.tensor(std)
            return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)

        def test(model, test_loader, epsilon):
            correct = 0
            adv_examples = []
            for data, target in test_loader:
                data = (data - 0.1307) / 0.3081           # transforms.Normalize
                data.requires_grad = True
                output = model(data)
                init_pred = output.max(1, keepdim=True)[1]
                if init_pred.item() != target.item():
                    continue
                loss = F.nll_loss(output, target)
                model.zero_grad()
                loss.backward()
                data_grad = data.grad               # (the tutorial's data.grad.data)
                data_denorm = denorm(data)
                perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
                perturbed_data_normalized = (perturbed_data - 0.1307) / 0.3081
                output = model(perturbed_data_normalized)
                final_pred = output.max(1, keepdim=True)[1]
                if final_pred.item() == target.item():
                    correct += 1
                if len(adv_examples) < 2:
                    adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                    adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
            final_acc = correct/float(len(test_loader))
            return final_acc, adv_examples

        accuracies, examples = [], []
        for eps in [0, .1, .3]:
            acc, ex = test(model, test_loader, eps)
            accuracies.append(acc)
            examples.append(ex)
        return accuracies, examples
    side_by_side(script)


# --- Neural Transfer Using PyTorch ----------------------------------------------------------

@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")   # torch's, on
def test_neural_transfer_with_content_and_style_losses_and_lbfgs_on_the_image():  # tensor(t)
    style = DATA.uniform(size=(1, 3, 8, 8))
    content = DATA.uniform(size=(1, 3, 8, 8))

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        style_img = torch.from_numpy(style)
        content_img = torch.from_numpy(content)

        class ContentLoss(nn.Module):

            def __init__(self, target,):
                super(ContentLoss, self).__init__()
                self.target = target.detach()

            def forward(self, input):
                self.loss = F.mse_loss(input, self.target)
                return input

        def gram_matrix(input):
            a, b, c, d = input.size()  # a=batch size(=1)
            features = input.view(a * b, c * d)  # resize F_XL into \hat F_XL
            G = torch.mm(features, features.t())  # compute the gram product
            return G.div(a * b * c * d)

        class StyleLoss(nn.Module):

            def __init__(self, target_feature):
                super(StyleLoss, self).__init__()
                self.target = gram_matrix(target_feature).detach()

            def forward(self, input):
                G = gram_matrix(input)
                self.loss = F.mse_loss(G, self.target)
                return input

        cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=False),
                            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=False),
                            nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                            nn.ReLU(inplace=False)).eval()
        copy_weights(cnn)
        cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
        cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])

        class Normalization(nn.Module):
            def __init__(self, mean, std):
                super(Normalization, self).__init__()
                self.mean = torch.tensor(mean).view(-1, 1, 1)
                self.std = torch.tensor(std).view(-1, 1, 1)

            def forward(self, img):
                return (img - self.mean) / self.std

        content_layers_default = ['conv_2']
        style_layers_default = ['conv_1', 'conv_2', 'conv_3']

        def get_style_model_and_losses(cnn, normalization_mean, normalization_std,
                                       style_img, content_img,
                                       content_layers=content_layers_default,
                                       style_layers=style_layers_default):
            normalization = Normalization(normalization_mean, normalization_std)
            content_losses = []
            style_losses = []
            model = nn.Sequential(normalization)
            i = 0  # increment every time we see a conv
            for layer in cnn.children():
                if isinstance(layer, nn.Conv2d):
                    i += 1
                    name = 'conv_{}'.format(i)
                elif isinstance(layer, nn.ReLU):
                    name = 'relu_{}'.format(i)
                    layer = nn.ReLU(inplace=False)
                elif isinstance(layer, nn.MaxPool2d):
                    name = 'pool_{}'.format(i)
                elif isinstance(layer, nn.BatchNorm2d):
                    name = 'bn_{}'.format(i)
                else:
                    raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
                model.add_module(name, layer)
                if name in content_layers:
                    target = model(content_img).detach()
                    content_loss = ContentLoss(target)
                    model.add_module("content_loss_{}".format(i), content_loss)
                    content_losses.append(content_loss)
                if name in style_layers:
                    target_feature = model(style_img).detach()
                    style_loss = StyleLoss(target_feature)
                    model.add_module("style_loss_{}".format(i), style_loss)
                    style_losses.append(style_loss)
            for i in range(len(model) - 1, -1, -1):
                if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
                    break
            model = model[:(i + 1)]
            return model, style_losses, content_losses

        input_img = content_img.clone()

        def get_input_optimizer(input_img):
            optimizer = optim.LBFGS([input_img])
            return optimizer

        def run_style_transfer(cnn, normalization_mean, normalization_std,
                               content_img, style_img, input_img, num_steps=6,
                               style_weight=1000000, content_weight=1):
            model, style_losses, content_losses = get_style_model_and_losses(
                cnn, normalization_mean, normalization_std, style_img, content_img)
            input_img.requires_grad_(True)
            model.eval()
            model.requires_grad_(False)
            optimizer = get_input_optimizer(input_img)
            run = [0]
            log = [[name for name, _ in model.named_children()]]
            while run[0] <= num_steps:

                def closure():
                    with torch.no_grad():
                        input_img.clamp_(0, 1)
                    optimizer.zero_grad()
                    model(input_img)
                    style_score = 0
                    content_score = 0
                    for sl in style_losses:
                        style_score += sl.loss
                    for cl in content_losses:
                        content_score += cl.loss
                    style_score *= style_weight
                    content_score *= content_weight
                    loss = style_score + content_score
                    loss.backward()
                    run[0] += 1
                    log.append((style_score.item(), content_score.item()))
                    return style_score + content_score

                optimizer.step(closure)
            with torch.no_grad():
                input_img.clamp_(0, 1)
            return input_img, log

        output, log = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std,
                                         content_img, style_img, input_img)
        return output, log
    side_by_side(script)


# --- Reinforcement Learning (DQN) ---------------------------------------------------------

def test_dqn_replay_memory_of_named_tuples_optimize_model_and_soft_update():
    states = DATA.normal(size=(12, 4))
    rewards = DATA.normal(size=12)
    terminal = DATA.uniform(size=12) < 0.25

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        Transition = namedtuple('Transition',
                                ('state', 'action', 'next_state', 'reward'))

        class ReplayMemory(object):

            def __init__(self, capacity):
                self.memory = deque([], maxlen=capacity)

            def push(self, *args):
                """Save a transition"""
                self.memory.append(Transition(*args))

            def sample(self, batch_size):
                return random.sample(self.memory, batch_size)

            def __len__(self):
                return len(self.memory)

        class DQN(nn.Module):

            def __init__(self, n_observations, n_actions):
                super(DQN, self).__init__()
                self.layer1 = nn.Linear(n_observations, 16)
                self.layer2 = nn.Linear(16, 16)
                self.layer3 = nn.Linear(16, n_actions)

            def forward(self, x):
                x = F.relu(self.layer1(x))
                x = F.relu(self.layer2(x))
                return self.layer3(x)

        BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 4, 0.99, 0.9, 0.05, 10, \
            0.005, 1e-3
        n_actions, n_observations = 2, 4
        policy_net = DQN(n_observations, n_actions)
        target_net = DQN(n_observations, n_actions)
        copy_weights(policy_net)
        target_net.load_state_dict(policy_net.state_dict())
        optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
        memory = ReplayMemory(100)
        steps_done = 0
        rng = random.Random(5)

        def select_action(state):
            nonlocal steps_done
            sample = rng.random()
            eps_threshold = EPS_END + (EPS_START - EPS_END) * \
                math.exp(-1. * steps_done / EPS_DECAY)
            steps_done += 1
            if sample > eps_threshold:
                with torch.no_grad():
                    # (the tutorial's .max(1): a positional dim is NumPy's axis= here too,
                    # and refused; dim=1 says which is meant)
                    return policy_net(state).max(dim=1).indices.view(1, 1)
            else:
                return torch.tensor([[rng.randrange(n_actions)]], dtype=torch.long)

        losses = []

        def optimize_model():
            if len(memory) < BATCH_SIZE:
                return
            random.seed(len(memory))
            transitions = memory.sample(BATCH_SIZE)
            batch = Transition(*zip(*transitions))
            non_final_mask = torch.tensor(tuple(map(lambda s: s is not None,
                                                    batch.next_state)), dtype=torch.bool)
            non_final_next_states = torch.cat([s for s in batch.next_state
                                               if s is not None])
            state_batch = torch.cat(batch.state)
            action_batch = torch.cat(batch.action)
            reward_batch = torch.cat(batch.reward)
            state_action_values = policy_net(state_batch).gather(1, action_batch)
            next_state_values = torch.zeros(BATCH_SIZE)
            with torch.no_grad():
                next_state_values[non_final_mask] = \
                    target_net(non_final_next_states).max(dim=1).values
            expected_state_action_values = (next_state_values * GAMMA) + reward_batch
            criterion = nn.SmoothL1Loss()
            loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
            optimizer.step()
            losses.append(loss.item())

        actions = []
        state = torch.tensor(states[0], dtype=torch.float64).unsqueeze(0)
        for t in range(1, 12):
            action = select_action(state)
            actions.append(action.item())
            reward = torch.tensor([rewards[t]])
            if terminal[t]:
                next_state = None
            else:
                next_state = torch.tensor(states[t], dtype=torch.float64).unsqueeze(0)
            memory.push(state, action, next_state, reward)
            state = next_state if next_state is not None else \
                torch.tensor(states[t], dtype=torch.float64).unsqueeze(0)
            optimize_model()
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = policy_net_state_dict[key]*TAU + \
                    target_net_state_dict[key]*(1-TAU)
            target_net.load_state_dict(target_net_state_dict)
        return actions, losses, policy_net, target_net
    side_by_side(script)
