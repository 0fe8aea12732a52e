"""A small, robust client for OpenAI-compatible chat APIs (OpenAI, vLLM, Ollama, ...).

Used by the VLM judge and by the data collection and annotation stages:

    from widget2code.llm import OpenAICompatibleClient, image_to_data_url
    client = OpenAICompatibleClient(base_url="http://localhost:8000/v1", model="Qwen/Qwen2.5-VL-7B-Instruct")
    result = client.chat([{"role": "user", "content": "Hello"}])     # ChatResult: text, tokens
    print(result.text, client.usage.as_dict())
"""

from widget2code.llm.client import ChatResult, OpenAICompatibleClient
from widget2code.llm.errors import LLMConfigError, LLMError
from widget2code.llm.images import image_to_data_url
from widget2code.llm.usage import Usage

__all__ = ["ChatResult", "LLMConfigError", "LLMError", "OpenAICompatibleClient", "Usage", "image_to_data_url"]
