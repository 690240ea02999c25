/**
 * The ChatML template (`<|im_start|>role\ncontent<|im_end|>\n`, as Qwen and many others use),
 * offered as an explicit fallback for models without `tokenizer.chat_template`. It is only
 * correct for models trained on ChatML; Ruminate never applies it unless the caller asks.
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
