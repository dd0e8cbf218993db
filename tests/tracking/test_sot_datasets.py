"""SOT datasets (LaSOT, GOT-10k, TrackingNet, OTB and Shapes SOT layouts), pair sampling and the
pair transforms."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from visionbox.core.datasets.shapes.tracking import make_sot
from visionbox.tracking.registry import DATA_SAMPLERS, DATASETS, TRANSFORMS

BOXES = np.array([[4, 5, 10, 12], [5, 6, 10, 12], [6, 6, 11, 12]], np.float64)  # x, y, w, h


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope("tracking")


def _write_frames(folder, names, size=(48, 64)):
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        cv2.imwrite(str(folder / name), np.full((*size, 3), 40 * i % 256, np.uint8))


def _write_boxes(path, boxes, sep=","):
    path.write_text("".join(sep.join(f"{v:g}" for v in b) + "\n" for b in boxes))


def _lasot(root):
    seq = root / "LaSOTBenchmark" / "cat" / "cat-1"
    _write_frames(seq / "img", [f"{i:08d}.jpg" for i in range(1, 4)])
    _write_boxes(seq / "groundtruth.txt", BOXES)
    (seq / "full_occlusion.txt").write_text("0,0,1")
    (seq / "out_of_view.txt").write_text("0,0,0")
    return dict(
        type="LaSOTDataset", data_root=str(root), data_prefix=dict(img_path="LaSOTBenchmark")
    )


def _got10k(root):
    seq = root / "train" / "GOT-10k_Train_000001"
    _write_frames(seq, [f"{i:08d}.jpg" for i in range(1, 4)])
    _write_boxes(seq / "groundtruth.txt", BOXES)
    (seq / "absence.label").write_text("0\n1\n0\n")
    (root / "train" / "list.txt").write_text("GOT-10k_Train_000001\n")
    return dict(type="GOT10kDataset", data_root=str(root), data_prefix=dict(img_path="train"))


def _trackingnet(root):
    chunk = root / "TRAIN_0"
    _write_frames(chunk / "frames" / "abc", [f"{i}.jpg" for i in range(3)])
    (chunk / "anno").mkdir(parents=True)
    _write_boxes(chunk / "anno" / "abc.txt", BOXES)
    return dict(type="TrackingNetDataset", data_root=str(root))


def _otb(root):
    seq = root / "Basketball"
    _write_frames(seq / "img", [f"{i:04d}.jpg" for i in range(1, 4)])
    _write_boxes(seq / "groundtruth_rect.txt", BOXES, sep="\t")
    return dict(type="OTBDataset", data_root=str(root))


LAYOUTS = dict(
    lasot=(_lasot, [True, True, False]),
    got10k=(_got10k, [True, False, True]),
    trackingnet=(_trackingnet, [True] * 3),
    otb=(_otb, [True] * 3),
)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_read_frames_and_boxes(tmp_path, layout):
    make, visible = LAYOUTS[layout]
    cfg = make(tmp_path)
    test_set = DATASETS.build(dict(cfg, test_mode=True))
    assert len(test_set) == 3
    assert test_set.video_frame_indices() == [[0, 1, 2]]
    infos = [test_set.get_data_info(i) for i in range(3)]
    assert [i["frame_id"] for i in infos] == [0, 1, 2]
    boxes = np.array([i["instances"][0]["bbox"] for i in infos])
    np.testing.assert_allclose(
        boxes, np.concatenate([BOXES[:, :2], BOXES[:, :2] + BOXES[:, 2:]], 1)
    )
    assert [i["visible"] for i in infos] == visible
    assert all(cv2.imread(i["img_path"]) is not None for i in infos)
    assert infos[2]["img_path"] > infos[0]["img_path"] or layout == "trackingnet"
    train_set = DATASETS.build(cfg)
    assert len(train_set) == 1
    assert train_set.get_data_info(0)["visible"].tolist() == visible


def test_missing_files_name_their_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        DATASETS.build(dict(type="GOT10kDataset", data_root=str(tmp_path / "nowhere")))
    cfg = _got10k(tmp_path)
    (tmp_path / "train" / "GOT-10k_Train_000001" / "groundtruth.txt").unlink()
    with pytest.raises(FileNotFoundError, match="groundtruth.txt"):
        DATASETS.build(cfg)


def _pipeline(exemplar=63, search=127, crop=255):
    return [
        dict(type="PairSampling", frame_range=10, pos_prob=0.5),
        dict(type="LoadMultiImagesFromFile"),
        dict(type="SeqCropLikeSiamFC", context_amount=0.5, exemplar_size=exemplar, crop_size=crop),
        dict(
            type="SeqShiftScaleAug",
            target_size=[exemplar, search],
            shift=[2, 16],
            scale=[0.05, 0.1],
        ),
        dict(type="SeqColorAug", prob=[1.0, 1.0]),
        dict(type="SeqBlurAug", prob=[0.0, 1.0]),
        dict(type="PackTrackInputs", ref_prefix="search", num_template_frames=1),
    ]


def test_shapes_pairs_through_the_pair_transforms(tmp_path):
    make_sot(str(tmp_path), seed=0, num_train=2, num_val=1, frames=12)
    dataset = DATASETS.build(
        dict(
            type="ShapesSOTDataset",
            data_root=str(tmp_path),
            data_prefix=dict(img_path="train"),
            pipeline=_pipeline(),
        )
    )
    assert len(dataset) == 2 and dataset.metainfo["classes"] == ("shape",)
    np.random.seed(0)
    seen = set()
    for i in range(8):
        item = dataset[i % 2]
        inputs, sample = item["inputs"], item["data_samples"]
        assert inputs.shape == (2, 3, 127, 127)
        template, search = sample.video_data_samples
        assert template.img_shape == (63, 63) and search.img_shape == (127, 127)
        assert inputs[0, :, 63:, :].abs().sum() == 0  # the template is padded to the search size
        positive = sample.is_positive_pair
        seen.add(positive)
        assert search.gt_instances.labels.tolist() == [int(positive)]
        if positive:
            assert search.video_id == template.video_id
            assert abs(search.frame_id - template.frame_id) <= 10
        # the target stays near the crop centres (shift and scale are small)
        for frame, size, shift in ((template, 63, 2), (search, 127, 16)):
            box = frame.gt_instances.bboxes[0]
            centre = (box[:2] + box[2:]) / 2
            assert ((centre - size / 2).abs() <= shift * 1.2 + 4).all()
        # SiamFC context: the box with its context spans about exemplar_size pixels
        box = template.gt_instances.bboxes[0].numpy()
        w, h = box[2] - box[0], box[3] - box[1]
        assert np.sqrt((w + (w + h) / 2) * (h + (w + h) / 2)) == pytest.approx(63, rel=0.12)
    assert seen == {True, False}


def test_crop_like_siamfc_maps_the_box():
    crop = TRANSFORMS.build(dict(type="SeqCropLikeSiamFC", exemplar_size=127, crop_size=511))
    img = np.zeros((200, 300, 3), np.uint8)
    img[50:90, 100:160] = 255  # the 60 x 40 target
    frames = crop([dict(img=img, gt_bboxes=np.array([[100.0, 50.0, 160.0, 90.0]], np.float32))])
    out, box = frames[0]["img"], frames[0]["gt_bboxes"][0]
    assert out.shape == (511, 511, 3)
    x1, y1, x2, y2 = np.round(box).astype(int)
    inside = out[y1 + 3 : y2 - 3, x1 + 3 : x2 - 3]
    assert inside.min() > 200  # the target is where the box says
    assert out[: y1 - 3].max() < 60 or y1 < 3
    assert (box[:2] + box[2:]) / 2 == pytest.approx([255.0, 255.0], abs=1e-4)


def test_crop_like_siamfc_box_centre_lands_on_its_pixels():
    """A blob centred on the box centre (pixel 130, 70) lands on the crop's box centre."""
    crop = TRANSFORMS.build(dict(type="SeqCropLikeSiamFC", exemplar_size=127, crop_size=511))
    img = np.zeros((200, 300, 3), np.float32)
    img[69:72, 129:132] = 255.0
    frames = crop([dict(img=img, gt_bboxes=np.array([[100.0, 50.0, 160.0, 90.0]], np.float32))])
    out, box = frames[0]["img"][..., 0], frames[0]["gt_bboxes"][0]
    out = np.where(out > 1.0, out, 0.0)  # drop the mean-colour padding
    ys, xs = np.mgrid[: out.shape[0], : out.shape[1]]
    centroid = np.array([(xs * out).sum(), (ys * out).sum()]) / out.sum()
    np.testing.assert_allclose(centroid, (box[:2] + box[2:]) / 2, atol=0.1)


def test_quota_sampler_and_random_concat(tmp_path):
    make_sot(str(tmp_path), seed=1, num_train=2, num_val=1, frames=6)
    part = dict(
        type="ShapesSOTDataset",
        data_root=str(tmp_path),
        data_prefix=dict(img_path="val"),
        test_mode=True,
    )
    concat = DATASETS.build(
        dict(
            type="RandomSampleConcatDataset",
            datasets=[part, part],
            dataset_sampling_weights=[0.0, 1.0],
        )
    )
    assert concat[0]["video_name"] == "SHAPES-SOT-003"
    sampler = DATA_SAMPLERS.build(
        dict(type="QuotaSampler", samples_per_epoch=20), default_args=dict(dataset=concat)
    )
    assert len(sampler) == 20 and len(list(sampler)) == 20
    assert max(sampler) < len(concat)
    with pytest.raises(ValueError, match="weights"):
        DATASETS.build(
            dict(
                type="RandomSampleConcatDataset",
                datasets=[part],
                dataset_sampling_weights=[1.0, 2.0],
            )
        )


# the first line of mmtracking's converters' infos files, byte for byte
# (tools/dataset_converters/otb100/otb100_infos.txt, gen_lasot_infos.py, ...)
INFOS_HEADER = (
    "The format of each line in this txt is "
    "(video_path,annotation_path,start_frame_id,end_frame_id)"
)


def test_lasot_reads_mmtracking_infos_file(tmp_path):
    cfg = _lasot(tmp_path)
    infos = tmp_path / "lasot_test_infos.txt"
    infos.write_text(f"{INFOS_HEADER}\ncat/cat-1/img,cat/cat-1/groundtruth.txt,1,3")
    dataset = DATASETS.build(dict(cfg, ann_file=str(infos), test_mode=True))
    infos_ = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [i["video_name"] for i in infos_] == ["cat-1"] * 3
    assert [i["visible"] for i in infos_] == [True, True, False]
    assert [i["img_path"][-12:] for i in infos_] == [f"{k:08d}.jpg" for k in (1, 2, 3)]


def test_otb_infos_align_frames_with_boxes(tmp_path):
    """David-style sequences start later than their first image; Tiger1 skips 5 boxes."""
    _write_frames(tmp_path / "David" / "img", [f"{i:04d}.jpg" for i in range(1, 6)])
    _write_boxes(tmp_path / "David" / "groundtruth_rect.txt", BOXES, sep="\t")  # frames 3..5
    _write_frames(tmp_path / "Tiger1" / "img", [f"{i:04d}.jpg" for i in range(1, 9)])
    tiger = np.concatenate([np.tile([[1.0, 1, 5, 5]], (5, 1)), BOXES])  # 8 boxes, 6..8 used
    _write_boxes(tmp_path / "Tiger1" / "groundtruth_rect.txt", tiger, sep=" ")
    infos = tmp_path / "otb100_infos.txt"
    infos.write_text(
        f"{INFOS_HEADER}\nDavid/img,David/groundtruth_rect.txt,3,5\n"
        "Tiger1/img,Tiger1/groundtruth_rect.txt,6,8\n"
    )
    cfg = dict(type="OTBDataset", data_root=str(tmp_path), test_mode=True)
    dataset = DATASETS.build(dict(cfg, ann_file=str(infos)))
    infos_ = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [i["video_name"] for i in infos_] == ["David"] * 3 + ["Tiger1"] * 3
    assert [os.path.basename(i["img_path"]) for i in infos_] == [
        f"{k:04d}.jpg" for k in (3, 4, 5, 6, 7, 8)
    ]
    assert [i["frame_id"] for i in infos_] == [0, 1, 2] * 2
    expected = np.concatenate([BOXES[:, :2], BOXES[:, :2] + BOXES[:, 2:]], 1)
    for k in (0, 3):
        got = np.array([i["instances"][0]["bbox"] for i in infos_[k : k + 3]])
        np.testing.assert_allclose(got, expected)
    # without the infos file, image and box counts that differ are refused
    with pytest.raises(ValueError, match=r"'David'.*3 boxes.*5 images.*infos"):
        DATASETS.build(cfg)
    # a wrong frame range in the infos file too
    infos.write_text(f"{INFOS_HEADER}\nDavid/img,David/groundtruth_rect.txt,1,5\n")
    with pytest.raises(ValueError, match="frames 1..5 of the infos file"):
        DATASETS.build(dict(cfg, ann_file=str(infos)))


def test_trackingnet_and_got10k_infos_files(tmp_path):
    cfg = _trackingnet(tmp_path)
    infos = tmp_path / "trackingnet_train_infos.txt"
    infos.write_text(f"{INFOS_HEADER}\nTRAIN_0/frames/abc,TRAIN_0/anno/abc.txt,0,2\n")
    dataset = DATASETS.build(dict(cfg, ann_file=str(infos), test_mode=True))
    assert [dataset.get_data_info(i)["video_name"] for i in range(3)] == ["TRAIN_0/abc"] * 3
    assert dataset.get_data_info(2)["img_path"].endswith(os.path.join("abc", "2.jpg"))
    cfg = _got10k(tmp_path / "got")
    infos = tmp_path / "got10k_train_infos.txt"
    infos.write_text(
        f"{INFOS_HEADER}\nGOT-10k_Train_000001,GOT-10k_Train_000001/groundtruth.txt,1,3\n"
    )
    dataset = DATASETS.build(dict(cfg, ann_file=str(infos)))
    assert dataset.get_data_info(0)["visible"].tolist() == [True, False, True]


def test_got10k_cover_zero_is_invisible(tmp_path):
    cfg = _got10k(tmp_path)
    (tmp_path / "train" / "GOT-10k_Train_000001" / "cover.label").write_text("8\n3\n0\n")
    dataset = DATASETS.build(cfg)
    assert dataset.get_data_info(0)["visible"].tolist() == [True, False, False]


def test_base_sot_dataset_is_not_buildable(tmp_path):
    with pytest.raises(KeyError, match="BaseSOTDataset"):
        DATASETS.build(dict(type="BaseSOTDataset", data_root=str(tmp_path)))


def test_coco_and_imagenet_vid_instances_become_videos(tmp_path):
    import json

    _write_frames(tmp_path / "img", ["a.jpg", "b.jpg", "c.jpg"])
    images = [
        dict(id=i + 1, file_name=n, width=64, height=48, video_id=7, frame_id=i)
        for i, n in enumerate(["a.jpg", "b.jpg", "c.jpg"])
    ]
    anns = [
        dict(id=1, image_id=1, bbox=[1, 2, 10, 12], category_id=1, instance_id=3, iscrowd=0),
        dict(id=2, image_id=3, bbox=[3, 2, 10, 12], category_id=1, instance_id=3, iscrowd=0),
        dict(id=3, image_id=2, bbox=[5, 5, 8, 8], category_id=1, instance_id=4, iscrowd=0),
        dict(id=4, image_id=2, bbox=[5, 5, 8, 8], category_id=1, instance_id=5, iscrowd=1),
    ]
    ann_file = tmp_path / "ann.json"
    ann_file.write_text(
        json.dumps(dict(images=images, annotations=anns, categories=[dict(id=1, name="x")]))
    )
    common = dict(data_root=str(tmp_path), ann_file="ann.json", data_prefix=dict(img_path="img"))
    coco = DATASETS.build(dict(type="SOTCocoDataset", **common))
    assert len(coco) == 3  # one video per non-crowd instance
    assert all(len(coco.get_data_info(i)["img_paths"]) == 1 for i in range(3))
    vid = DATASETS.build(dict(type="SOTImageNetVIDDataset", **common))
    assert len(vid) == 2  # instance tracks 3 and 4
    track = vid.get_data_info(0)
    assert [p.rsplit("/", 1)[1] for p in track["img_paths"]] == ["a.jpg", "c.jpg"]
    np.testing.assert_allclose(track["bboxes"][1], [3, 2, 13, 14])
    with pytest.raises(FileNotFoundError, match="missing.json"):
        DATASETS.build(dict(common, type="SOTCocoDataset", ann_file="missing.json"))


def test_pair_sampling_filters_lone_templates_on_long_videos():
    """Only frames with another visible frame within frame_range become templates; a 100k-frame
    video is handled without a frames x frames matrix."""
    sampling = TRANSFORMS.build(
        dict(type="PairSampling", frame_range=5, pos_prob=1.0, filter_template_img=True)
    )
    length = 100_000
    visible = np.zeros(length, bool)
    visible[[0, 50, 53, 99_999]] = True
    video = dict(
        video_id=0,
        video_name="long",
        img_paths=[f"{i}.jpg" for i in range(length)],
        bboxes=np.tile(np.array([[1.0, 1, 5, 5]], np.float32), (length, 1)),
        visible=visible,
    )
    seen = set()
    for _ in range(40):
        template, search = sampling(dict(videos=[video, video]))
        seen.add(template["frame_id"])
        assert search["frame_id"] in (50, 53) and search["is_positive_pair"]
    assert seen == {50, 53}


def test_pack_track_inputs_packs_pairs_like_mmtracking_configs():
    def frames():
        out = []
        for size, pos in ((63, True), (127, True)):
            img = np.full((size, size, 3), size, np.uint8)
            box = np.array([[10.0, 12.0, 30.0, 40.0]], np.float32)
            out.append(dict(img=img, gt_bboxes=box, frame_id=size, is_positive_pair=pos))
        return out

    pack = TRANSFORMS.build(
        dict(type="PackTrackInputs", ref_prefix="search", num_template_frames=1)
    )
    packed = pack(frames())
    alias = TRANSFORMS.build(dict(type="PackSOTInputs"))(frames())
    assert packed["inputs"].shape == (2, 3, 127, 127)
    assert torch.equal(packed["inputs"], alias["inputs"])
    template, search = packed["data_samples"].video_data_samples
    assert (template.frame_id, search.frame_id) == (63, 127)
    assert template.img_shape == (63, 63) and search.gt_instances.labels.tolist() == [1]
    assert packed["data_samples"].ref_prefix == "search"
    # one frame dict: the MOT packing, unchanged
    single = TRANSFORMS.build(dict(type="PackTrackInputs"))(
        dict(
            img=np.zeros((20, 30, 3), np.uint8),
            gt_bboxes=np.array([[1.0, 2, 5, 6]], np.float32),
            gt_bboxes_labels=np.array([0]),
            frame_id=3,
        )
    )
    assert single["inputs"].shape == (1, 3, 20, 30)
    assert single["data_samples"].video_data_samples[0].frame_id == 3
    with pytest.raises(ValueError, match="num_template_frames"):
        TRANSFORMS.build(dict(type="PackTrackInputs", num_template_frames=2))
    with pytest.raises(TypeError, match="list of frames"):
        TRANSFORMS.build(dict(type="PackTrackInputs", num_template_frames=1))(
            dict(img=np.zeros((4, 4, 3), np.uint8))
        )
