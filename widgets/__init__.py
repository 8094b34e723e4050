"""widgets: UI components for the experiments. They import no TensorFlow and no model code:
they emit what people make (strokes, text) and display results they are given. Their look is
one stylesheet, `mlexp.css`, sent to the page once."""
from .camera import Camera
from .common import message
from .digit_strip import DigitStrip, StylePad
from .digit_writer_view import DigitWriterView
from .drawing_classifier import DrawingClassifier
from .drawing_game import DrawingGame
from .drawing_pad import DrawingPad
from .emotion_view import EmotionView
from .face_game import FaceGame
from .gallery import card, gallery
from .gesture_view import GestureView
from .object_detector import DetectionView
from .photo_classifier import PhotoClassifierView
from .photo_picker import PhotoPicker
from .probability_bars import ProbabilityBars
from .rps_game import RPSGame
from .sum_answerer import SumAnswerer
from .teach_view import TeachView
from .text_streamer import TextStreamer

__all__ = ["DrawingPad", "ProbabilityBars", "DrawingClassifier", "DrawingGame", "SumAnswerer", "TextStreamer",
           "message", "card", "gallery", "Camera", "GestureView", "RPSGame",
           "PhotoClassifierView", "DetectionView", "PhotoPicker", "TeachView", "EmotionView", "FaceGame",
           "DigitStrip", "StylePad", "DigitWriterView"]
