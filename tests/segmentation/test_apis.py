"""init_model / inference_model: paths, arrays and lists of them, checkpoints and their meta."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from visionbox.core.engine import CheckpointMismatchError
from visionbox.segmentation.apis import inference_model, init_model
from visionbox.segmentation.structures import SegDataSample

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
CFG = dict(
    default_scope="segmentation",
    model=dict(
        type="EncoderDecoder",
        # Both would be refused together (and neither file exists): init_model drops them.
        pretrained="no/such/weights.pth",
        data_preprocessor=dict(
            type="SegDataPreProcessor", mean=MEAN, std=STD, bgr_to_rgb=True, size_divisor=8
        ),
        backbone=dict(
            type="ResNetV1c",
            depth=18,
            stem_channels=8,
            base_channels=8,
            dilations=(1, 1, 2, 4),
            strides=(1, 2, 1, 1),
            contract_dilation=True,
            init_cfg=dict(type="Pretrained", checkpoint="no/such/backbone.pth"),
        ),
        decode_head=dict(
            type="FCNHead",
            in_channels=64,
            in_index=3,
            channels=8,
            num_classes=19,
            dropout_ratio=0.0,
        ),
        train_cfg=dict(),
        test_cfg=dict(mode="whole"),
    ),
    test_pipeline=[
        dict(type="LoadImageFromFile"),
        dict(type="Resize", scale=(64, 48), keep_ratio=True),
        dict(type="LoadAnnotations"),
        dict(type="PackSegInputs"),
    ],
)


def _image(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return init_model(Config(CFG), fuse=False)  # the unfused keys, to write checkpoints of


def test_init_model_drops_training_settings_and_sets_metainfo(model):
    assert not model.training
    assert model.cfg.model.train_cfg is None and model.cfg.model.backbone.init_cfg is None
    assert model.cfg.model.pretrained is None
    # No checkpoint: the dataset with 19 classes (Cityscapes) names the classes.
    assert len(model.dataset_meta["classes"]) == 19
    assert model.dataset_meta["classes"][0] == "road"
    assert CFG["model"]["backbone"]["init_cfg"] is not None  # the caller's config is untouched


def test_inference_on_a_path_equals_inference_on_the_array(model, tmp_path):
    img = _image(40, 30, 0)
    path = tmp_path / "img.png"
    cv2.imwrite(str(path), img)
    from_path = inference_model(model, str(path))
    from_array = inference_model(model, img)
    assert isinstance(from_path, SegDataSample)
    assert from_path.pred_sem_seg.data.shape == (1, 40, 30)
    assert from_path.seg_logits.data.shape == (19, 40, 30)
    assert from_path.img_path == str(path)
    torch.testing.assert_close(from_path.seg_logits.data, from_array.seg_logits.data)


def test_inference_matches_a_hand_made_forward_pass(model):
    """Resize (keep ratio within 64x48), BGR->RGB, normalise, predict, resize back; the
    preprocessor pads only in training (no test_cfg), so nothing is padded here."""
    img = _image(30, 40, 1)
    result = inference_model(model, img)
    resized = cv2.resize(img, (64, 48), interpolation=cv2.INTER_LINEAR)  # scale 1.6
    x = torch.from_numpy(resized[..., ::-1].copy()).permute(2, 0, 1).float()
    x = (x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(x[None]))
        logits = torch.nn.functional.interpolate(logits, (48, 64), mode="bilinear")
        logits = torch.nn.functional.interpolate(logits, (30, 40), mode="bilinear")
    torch.testing.assert_close(result.seg_logits.data, logits[0], atol=1e-4, rtol=1e-4)
    assert torch.equal(result.pred_sem_seg.data, logits[0].argmax(0, keepdim=True))


def test_a_list_gives_a_list_of_results_at_each_images_size(model, tmp_path):
    path = tmp_path / "b.jpg"
    cv2.imwrite(str(path), _image(25, 50, 2))
    results = inference_model(model, [_image(40, 30, 0), path])
    assert isinstance(results, list) and len(results) == 2
    assert results[0].pred_sem_seg.shape == (40, 30)
    assert results[1].pred_sem_seg.shape == (25, 50)
    # Images of one size form an unpadded batch: each result equals the single-image one.
    pair = inference_model(model, (_image(40, 30, 3), _image(40, 30, 4)))
    for seed, result in zip((3, 4), pair):
        single = inference_model(model, _image(40, 30, seed))
        torch.testing.assert_close(result.seg_logits.data, single.seg_logits.data)
    assert inference_model(model, []) == []


def test_bad_inputs_name_what_is_wrong(model, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        inference_model(model, str(tmp_path / "missing.png"))
    with pytest.raises(TypeError, match="(?i)path or a numpy array"):
        inference_model(model, 3)
    with pytest.raises(FileNotFoundError, match="nowhere.py"):
        init_model(str(tmp_path / "nowhere.py"))
    with pytest.raises(AttributeError, match="init_model"):
        inference_model(torch.nn.Linear(1, 1), _image(8, 8, 0))


def test_checkpoint_weights_and_dataset_meta_are_loaded(model, tmp_path):
    torch.manual_seed(1)
    state = {k: v + 0.5 if v.is_floating_point() else v for k, v in model.state_dict().items()}
    meta = dict(classes=tuple(f"c{i}" for i in range(19)), palette=[[i, i, i] for i in range(19)])
    path = tmp_path / "ckpt.pth"
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=meta)), path)
    config = tmp_path / "cfg.py"
    Config(CFG).dump(str(config))
    options = {"model.test_cfg.mode": "whole"}
    loaded = init_model(str(config), str(path), cfg_options=options, fuse=False)
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert loaded.dataset_meta["classes"][3] == "c3"
    # Weights without meta: a warning and the classes of the dataset with that many classes.
    torch.save(dict(state_dict=state), tmp_path / "bare.pth")
    with pytest.warns(UserWarning, match="no dataset_meta"):
        bare = init_model(str(config), str(tmp_path / "bare.pth"))
    assert bare.dataset_meta["classes"][-1] == "bicycle"
    # A checkpoint of another architecture fails instead of predicting noise.
    torch.save(dict(state_dict={"conv.weight": torch.zeros(1)}), tmp_path / "other.pth")
    with pytest.raises(CheckpointMismatchError, match=r"1 unexpected key\(s\): conv.weight"):
        init_model(str(config), str(tmp_path / "other.pth"))


def test_show_result_pyplot_blends_the_palette_and_writes_the_file(model, tmp_path):
    from mmengine.structures import PixelData

    from visionbox.segmentation.apis import show_result_pyplot

    img = _image(6, 8, 5)
    result = SegDataSample()
    pred = torch.zeros(1, 6, 8, dtype=torch.long)
    pred[:, :, 4:] = 2
    result.pred_sem_seg = PixelData(data=pred)
    out_file = tmp_path / "vis" / "result.png"
    drawn = show_result_pyplot(model, img, result, opacity=0.25, show=False, out_file=str(out_file))
    palette = np.asarray(model.dataset_meta["palette"], np.float32)
    rgb = img[..., ::-1].astype(np.float32)
    expected = rgb * 0.75 + np.where(pred[0, ..., None].numpy() == 2, palette[2], palette[0]) * 0.25
    np.testing.assert_array_equal(drawn, expected.astype(np.uint8))
    assert out_file.is_file()
    np.testing.assert_array_equal(cv2.imread(str(out_file))[..., ::-1], drawn)
    # With ground truth: ground truth left, prediction right.
    result.gt_sem_seg = PixelData(data=torch.full((1, 6, 8), 255))
    both = show_result_pyplot(model, img, result, show=False)
    assert both.shape == (6, 16, 3)
    np.testing.assert_array_equal(both[:, :8], img[..., ::-1])  # 255: nothing drawn
    with pytest.raises(ValueError, match="image it was computed from"):
        show_result_pyplot(model, _image(5, 8, 0), result, show=False)
    with pytest.raises(FileNotFoundError, match="nope.png"):
        show_result_pyplot(model, str(tmp_path / "nope.png"), result, show=False)
