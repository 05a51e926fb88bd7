"""kisi"""
